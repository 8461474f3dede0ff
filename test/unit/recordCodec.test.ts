import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { DecisionRecord, ParticipantOutcomeRecord, PrepareRecord } from '../../src/protocol/records.js';
import {
  CorruptRecord,
  decodeDecision,
  decodeGrant,
  decodeIdentity,
  decodeLastToken,
  decodeParticipantOutcome,
  decodePrepare,
  decodeStoredValue,
  decodeUnfinished,
  encodeDecision,
  encodeGrant,
  encodeIdentity,
  encodeLastToken,
  encodeParticipantOutcome,
  encodePrepare,
  encodeStoredValue,
  encodeUnfinished,
  RECORD_FORMAT,
  type RecordAt,
} from '../../src/storage/recordCodec.js';

const P2 = (key: string): RecordAt => ({ node: 'participant p2', key });
const C1 = (key: string): RecordAt => ({ node: 'coordinator c1', key });

const prepare: PrepareRecord = {
  txn: 't17',
  coordinatorId: 'c1',
  coordinatorAddr: '127.0.0.1:7000',
  participants: ['p1', 'p2'],
  participantAddrs: ['127.0.0.1:7001', '127.0.0.1:7002'],
  protocol: '3pc',
  precommitted: true,
  age: { ms: 1_764_000_000_123, id: 't17' },
  locks: [
    { key: 'a', mode: 'X' },
    { key: 'f!lease', mode: 'S' },
  ],
  writes: [
    { key: 'a', value: '42', version: 3 },
    { key: 'b', value: null, version: 8 },
  ],
  results: [{ key: 'a', found: true, value: '41', version: 2 }],
};

const outcome: ParticipantOutcomeRecord = { txn: 't17', outcome: 'COMMITTED', results: prepare.results, readOnly: true };

const decision: DecisionRecord = {
  txn: 't18',
  outcome: 'ABORTED',
  participants: ['p1', 'p3'],
  results: [],
  reason: 'lock conflict on a',
  abortCode: 'CONFLICT',
  digest: '9f2c',
  decidedAtMs: 1_764_000_000_999,
  readOnly: false,
  protocol: 'nb',
};

/** The CorruptRecord that `decode` throws (failing the test if it throws anything else or nothing). */
function corrupt(decode: () => unknown): CorruptRecord {
  try {
    decode();
  } catch (err) {
    expect(err).toBeInstanceOf(CorruptRecord);
    return err as CorruptRecord;
  }
  throw new Error('expected a CorruptRecord, but the record decoded');
}

/** What is wrong with `raw` (where it was read is checked once, in the first CorruptRecord tests). */
const problem = (decode: (raw: string, at: RecordAt) => unknown, raw: string): string => corrupt(() => decode(raw, P2('x!k'))).problem;

const json = JSON.stringify;

describe('round trips', () => {
  it('every record kind decodes to what was encoded, tagged with the format version first', () => {
    const cases: [string, unknown, (raw: string) => unknown][] = [
      [encodePrepare(prepare), prepare, (r) => decodePrepare(r, P2('p!t17'))],
      [encodeParticipantOutcome(outcome), outcome, (r) => decodeParticipantOutcome(r, P2('o!t17'))],
      [encodeDecision(decision), decision, (r) => decodeDecision(r, C1('d!t18'))],
      [encodeStoredValue({ value: 'x', version: 1 }), { value: 'x', version: 1 }, (r) => decodeStoredValue(r, P2('k!a'))],
      [encodeStoredValue({ value: null, version: 7 }), { value: null, version: 7 }, (r) => decodeStoredValue(r, P2('k!b'))],
      [encodeStoredValue({ value: '12', version: 2 }), { value: '12', version: 2 }, (r) => decodeStoredValue(r, P2('f!lease'))],
      [encodeIdentity({ id: 'p2', role: 'participant' }), { id: 'p2', role: 'participant' }, (r) => decodeIdentity(r, P2('m!identity'))],
      [encodeGrant({ name: 'lease', token: 12, ttlMs: 5000 }), { name: 'lease', token: 12, ttlMs: 5000 }, (r) => decodeGrant(r, C1('l!lease'))],
      [encodeLastToken(12), 12, (r) => decodeLastToken(r, C1('m!locks.lastToken'))],
      [encodeUnfinished(), undefined, (r) => decodeUnfinished(r, C1('u!t18'))],
    ];
    for (const [raw, record, decode] of cases) {
      expect(raw.startsWith(`{"v":${RECORD_FORMAT}`), raw).toBe(true);
      // toStrictEqual: the decoded record holds no `v` and no `undefined` stand-ins for absent fields.
      expect(decode(raw)).toStrictEqual(record);
    }
  });

  it('optional fields stay absent', () => {
    const minimal: PrepareRecord = { ...prepare, protocol: undefined, precommitted: undefined };
    delete minimal.protocol;
    delete minimal.precommitted;
    const back = decodePrepare(encodePrepare(minimal), P2('p!t17'));
    expect(back).toStrictEqual(minimal);
    expect('protocol' in back).toBe(false);
  });

  it('arbitrary stored values and outcome records survive the trip', () => {
    const opResult = fc.record(
      { key: fc.string({ minLength: 1 }), found: fc.boolean(), value: fc.string(), version: fc.nat() },
      { noNullPrototype: true }, // decoded records are plain objects: toStrictEqual compares prototypes
    );
    fc.assert(
      fc.property(fc.option(fc.string(), { nil: null }), fc.nat(), (value, version) => {
        expect(decodeStoredValue(encodeStoredValue({ value, version }), P2('k!x'))).toStrictEqual({ value, version });
      }),
    );
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.constantFrom('COMMITTED', 'ABORTED'), fc.array(opResult), (txn, o, results) => {
        const r: ParticipantOutcomeRecord = { txn, outcome: o, results };
        expect(decodeParticipantOutcome(encodeParticipantOutcome(r), P2(`o!${txn}`))).toStrictEqual(r);
      }),
    );
  });
});

describe('records written before versioning (no "v") read as format 1', () => {
  it('reads each kind as the stores wrote it', () => {
    expect(decodePrepare(JSON.stringify(prepare), P2('p!t17'))).toStrictEqual(prepare);
    expect(decodeParticipantOutcome(JSON.stringify(outcome), P2('o!t17'))).toStrictEqual(outcome);
    expect(decodeDecision(JSON.stringify(decision), C1('d!t18'))).toStrictEqual(decision);
    expect(decodeStoredValue('{"value":"5","version":2}', P2('k!a'))).toStrictEqual({ value: '5', version: 2 });
    expect(decodeStoredValue('{"value":null,"version":3}', P2('k!a'))).toStrictEqual({ value: null, version: 3 });
    expect(decodeIdentity('{"id":"c1","role":"coordinator"}', C1('m!identity'))).toStrictEqual({ id: 'c1', role: 'coordinator' });
    expect(decodeGrant('{"name":"lease","token":4,"ttlMs":100}', C1('l!lease'))).toStrictEqual({ name: 'lease', token: 4, ttlMs: 100 });
    expect(decodeLastToken('17', C1('m!locks.lastToken'))).toBe(17);
    expect(() => decodeUnfinished('""', C1('u!t18'))).not.toThrow();
  });

  it('a prepare from before 3pc/nb (no protocol, no peer addresses) gets empty addresses', () => {
    const old =
      '{"txn":"t1","coordinatorId":"c1","coordinatorAddr":"h:1","participants":["p2"],' +
      '"age":{"ms":5,"id":"t1"},"locks":[{"key":"a","mode":"X"}],"writes":[{"key":"a","value":"1","version":1}],"results":[]}';
    const r = decodePrepare(old, P2('p!t1'));
    expect(r.participantAddrs).toEqual([]);
    expect('protocol' in r).toBe(false);
    expect(r.locks).toEqual([{ key: 'a', mode: 'X' }]);
  });

  it('unknown extra fields are tolerated and dropped', () => {
    expect(decodeStoredValue('{"v":1,"value":"x","version":1,"later":true}', P2('k!a'))).toStrictEqual({ value: 'x', version: 1 });
  });
});

describe('CorruptRecord', () => {
  it('names the node, the key and the field, with what was found and what was expected', () => {
    const raw = encodePrepare(prepare).replace('"mode":"X"', '"mode":"Q"');
    const err = corrupt(() => decodePrepare(raw, P2('p!t17')));
    expect(err.message).toBe('corrupt record on participant p2 at key p!t17: field "locks[0].mode" is "Q", expected S or X');
    expect(err).toMatchObject({ name: 'CorruptRecord', node: 'participant p2', key: 'p!t17' });
    expect(err.problem).toBe('field "locks[0].mode" is "Q", expected S or X');
  });

  it('refuses a record from a newer dtx', () => {
    const err = corrupt(() => decodeStoredValue(`{"v":${RECORD_FORMAT + 1},"value":"x","version":1}`, P2('k!a')));
    expect(err.message).toBe(
      `corrupt record on participant p2 at key k!a: record format v${RECORD_FORMAT + 1} was written by a newer dtx (this one reads up to v${RECORD_FORMAT})`,
    );
    expect(corrupt(() => decodeLastToken('{"v":9,"lastToken":3}', C1('m!locks.lastToken'))).message).toMatch(/newer dtx/);
    expect(corrupt(() => decodeUnfinished('{"v":2}', C1('u!t1'))).message).toMatch(/newer dtx/);
  });

  it('refuses a format version that is not one', () => {
    for (const v of ['"1"', '0', '1.5', 'null']) {
      const err = corrupt(() => decodeIdentity(`{"v":${v},"id":"p2","role":"participant"}`, P2('m!identity')));
      expect(err.problem).toBe(`field "v" is ${v}, expected a record format version (a positive integer)`);
    }
  });

  it('reports text that is not JSON', () => {
    const err = corrupt(() => decodeDecision('{"txn":"t1","outc', C1('d!t1')));
    expect(err.message).toMatch(/^corrupt record on coordinator c1 at key d!t1: not JSON: /);
    expect(problem(decodeStoredValue, '')).toMatch(/^not JSON: /);
  });

  it('reports a record that is not an object', () => {
    expect(problem(decodeStoredValue, '[1,2]')).toBe('record is [1,2], expected an object');
    expect(problem(decodeStoredValue, 'null')).toBe('record is null, expected an object');
    expect(problem(decodeLastToken, '"17"')).toBe('record is "17", expected an integer >= 0');
    expect(problem(decodeUnfinished, '"x"')).toBe('record is "x", expected an object');
  });

  it('reports missing fields', () => {
    const { digest: _, ...noDigest } = decision;
    expect(problem(decodeDecision, json(noDigest))).toBe('field "digest" is missing, expected a string');
    expect(problem(decodeStoredValue, '{"v":1,"version":1}')).toBe('field "value" is missing, expected a string or null');
    const noFound = json({ ...outcome, results: [{ key: 'a', value: '', version: 0 }] });
    expect(problem(decodeParticipantOutcome, noFound)).toBe('field "results[0].found" is missing, expected true or false');
  });

  it('reports wrong types and numbers that are not what they must be', () => {
    const sv = (body: string) => problem(decodeStoredValue, `{"v":1,${body}}`);
    expect(sv('"value":"x","version":"3"')).toBe('field "version" is "3", expected an integer >= 0');
    expect(sv('"value":"x","version":1.5')).toBe('field "version" is 1.5, expected an integer >= 0');
    expect(sv('"value":"x","version":-1')).toBe('field "version" is -1, expected an integer >= 0');
    expect(sv('"value":"x","version":1152921504606846976')).toBe('field "version" is 1152921504606847000, expected an integer >= 0');
    expect(sv('"value":5,"version":1')).toBe('field "value" is 5, expected a string or null');

    const d = (patch: object) => problem(decodeDecision, json({ ...decision, ...patch }));
    expect(d({ participants: 'p1' })).toBe('field "participants" is "p1", expected an array');
    expect(d({ results: [5] })).toBe('field "results[0]" is 5, expected an object');
    expect(d({ readOnly: 'yes' })).toBe('field "readOnly" is "yes", expected true or false');
    const overflowing = encodeDecision(decision).replace('1764000000999', '1e999');
    expect(problem(decodeDecision, overflowing)).toBe('field "decidedAtMs" is Infinity, expected a finite number');

    const p = (patch: object) => problem(decodePrepare, json({ ...prepare, ...patch }));
    expect(p({ age: { ms: '5', id: 't17' } })).toBe('field "age.ms" is "5", expected a finite number');
    expect(p({ participantAddrs: ['h:1', 7] })).toBe('field "participantAddrs[1]" is 7, expected a string');
    expect(p({ writes: [{ key: 'a', value: 'x', version: 0.5 }] })).toBe('field "writes[0].version" is 0.5, expected an integer >= 0');

    expect(problem(decodeGrant, '{"v":1,"name":"l","token":-3,"ttlMs":10}')).toBe('field "token" is -3, expected an integer >= 0');
    expect(problem(decodeLastToken, '2.5')).toBe('record is 2.5, expected an integer >= 0');
  });

  it('reports empty ids and keys', () => {
    const empty = 'is "", expected a non-empty string';
    expect(problem(decodePrepare, json({ ...prepare, txn: '' }))).toBe(`field "txn" ${empty}`);
    expect(problem(decodePrepare, json({ ...prepare, locks: [{ key: '', mode: 'S' }] }))).toBe(`field "locks[0].key" ${empty}`);
    expect(problem(decodeIdentity, '{"v":1,"id":"","role":"participant"}')).toBe(`field "id" ${empty}`);
    expect(problem(decodeGrant, '{"v":1,"name":"","token":1,"ttlMs":10}')).toBe(`field "name" ${empty}`);
  });

  it('reports values outside an enum', () => {
    const d = (patch: object) => problem(decodeDecision, json({ ...decision, ...patch }));
    expect(d({ outcome: 'MAYBE' })).toBe('field "outcome" is "MAYBE", expected COMMITTED or ABORTED');
    expect(d({ protocol: '4pc' })).toBe('field "protocol" is "4pc", expected 2pc, 3pc or nb');
    expect(d({ abortCode: 'OOPS' })).toBe(
      'field "abortCode" is "OOPS", expected CONFLICT, PRECONDITION_FAILED, UNAVAILABLE_PARTICIPANT, TIMED_OUT, PRESUMED or WRONG_SHARD',
    );
    expect(problem(decodeIdentity, '{"id":"p2","role":"admin"}')).toBe('field "role" is "admin", expected coordinator or participant');
  });

  it('names the first problem and counts the others', () => {
    expect(problem(decodeStoredValue, '{"value":1,"version":"x"}')).toBe('field "value" is 1, expected a string or null (and 1 more problem)');
  });

  it('shortens long values in the message', () => {
    const long = problem(decodeStoredValue, `{"value":"x","version":"${'y'.repeat(200)}"}`);
    expect(long).toBe(`field "version" is "${'y'.repeat(56)}..., expected an integer >= 0`);
  });
});
