import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LIMITS } from '../../src/protocol/limits.js';
import { evaluateOps, InvalidRequest, isWrite, lockSet, validateOps } from '../../src/protocol/ops.js';
import type { StoredValue, TxnOp } from '../../src/protocol/types.js';

const store = (entries: Record<string, StoredValue>): Map<string, StoredValue> => new Map(Object.entries(entries));

function expectInvalid(ops: TxnOp[], message: RegExp): void {
  let err: unknown;
  try {
    validateOps(ops);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(InvalidRequest);
  expect((err as Error).message).toMatch(message);
}

describe('validateOps', () => {
  it('accepts a well-formed mix of ops', () => {
    expect(() =>
      validateOps([
        { type: 'put', key: 'a', value: 'x' },
        { type: 'delete', key: 'b' },
        { type: 'add', key: 'c', delta: -5n, min: 0n, max: 10n },
        { type: 'get', key: 'd' },
        { type: 'check', key: 'e', expect: { kind: 'version', version: 0 } },
        { type: 'check', key: 'e', expect: { kind: 'value', value: 'v' } },
        { type: 'check', key: 'e', expect: { kind: 'exists', exists: false } },
      ]),
    ).not.toThrow();
  });

  it('rejects an empty transaction', () => {
    expectInvalid([], /at least one op/);
  });

  it('rejects more than maxOpsPerTxn ops but accepts exactly the limit', () => {
    const ops: TxnOp[] = Array.from({ length: LIMITS.maxOpsPerTxn }, (_, i) => ({ type: 'get', key: `k${i}` }));
    expect(() => validateOps(ops)).not.toThrow();
    expectInvalid([...ops, { type: 'get', key: 'one-more' }], /too many ops: 1001/);
  });

  it('rejects an empty key, naming the op index', () => {
    expectInvalid(
      [
        { type: 'get', key: 'a' },
        { type: 'get', key: '' },
      ],
      /op 1: empty key/,
    );
  });

  it('measures key length in UTF-8 bytes', () => {
    // 512 two-byte characters = 1024 bytes: allowed; 513 = 1026 bytes: refused.
    expect(() => validateOps([{ type: 'get', key: 'é'.repeat(512) }])).not.toThrow();
    expectInvalid([{ type: 'get', key: 'é'.repeat(513) }], /key longer than 1024 bytes/);
  });

  it('rejects values above maxValueBytes', () => {
    expect(() => validateOps([{ type: 'put', key: 'k', value: 'x'.repeat(LIMITS.maxValueBytes) }])).not.toThrow();
    expectInvalid([{ type: 'put', key: 'k', value: 'x'.repeat(LIMITS.maxValueBytes + 1) }], /op 0 \(k\): value longer/);
  });

  it('rejects add numbers outside int64 and min above max', () => {
    expectInvalid([{ type: 'add', key: 'k', delta: LIMITS.maxInt64 + 1n }], /delta .* outside the signed 64-bit range/);
    expectInvalid([{ type: 'add', key: 'k', delta: 1n, min: LIMITS.minInt64 - 1n }], /min/);
    expectInvalid([{ type: 'add', key: 'k', delta: 1n, max: LIMITS.maxInt64 + 1n }], /max/);
    expectInvalid([{ type: 'add', key: 'k', delta: 1n, min: 5n, max: 4n }], /min 5 is above max 4/);
    expect(() => validateOps([{ type: 'add', key: 'k', delta: LIMITS.minInt64, min: 3n, max: 3n }])).not.toThrow();
  });

  it('rejects a negative or fractional expected version', () => {
    expectInvalid([{ type: 'check', key: 'k', expect: { kind: 'version', version: -1 } }], /non-negative integer/);
    expectInvalid([{ type: 'check', key: 'k', expect: { kind: 'version', version: 1.5 } }], /non-negative integer/);
  });
});

describe('isWrite / lockSet', () => {
  it('classifies ops', () => {
    expect(isWrite({ type: 'put', key: 'k', value: '' })).toBe(true);
    expect(isWrite({ type: 'delete', key: 'k' })).toBe(true);
    expect(isWrite({ type: 'add', key: 'k', delta: 0n })).toBe(true);
    expect(isWrite({ type: 'get', key: 'k' })).toBe(false);
    expect(isWrite({ type: 'check', key: 'k', expect: { kind: 'exists', exists: true } })).toBe(false);
  });

  it('takes one lock per key, X when any op writes it, sorted by key', () => {
    expect(
      lockSet([
        { type: 'get', key: 'z' },
        { type: 'get', key: 'b' },
        { type: 'put', key: 'b', value: '1' },
        { type: 'check', key: 'a', expect: { kind: 'exists', exists: true } },
        { type: 'delete', key: 'm' },
        { type: 'get', key: 'm' },
      ]),
    ).toEqual([
      { key: 'a', mode: 'S' },
      { key: 'b', mode: 'X' },
      { key: 'm', mode: 'X' },
      { key: 'z', mode: 'S' },
    ]);
  });
});

describe('evaluateOps', () => {
  it('reads missing keys as not found, version 0', () => {
    const ev = evaluateOps([{ type: 'get', key: 'a' }], store({}));
    expect(ev).toEqual({ ok: true, writes: [], results: [{ key: 'a', found: false, value: '', version: 0 }] });
  });

  it('puts bump the stored version once and later ops see earlier ones', () => {
    const ev = evaluateOps(
      [
        { type: 'get', key: 'a' },
        { type: 'put', key: 'a', value: 'x' },
        { type: 'get', key: 'a' },
        { type: 'put', key: 'a', value: 'y' },
        { type: 'check', key: 'a', expect: { kind: 'value', value: 'y' } },
      ],
      store({ a: { value: 'old', version: 7 } }),
    );
    expect(ev).toEqual({
      ok: true,
      writes: [{ key: 'a', value: 'y', version: 8 }],
      results: [
        { key: 'a', found: true, value: 'old', version: 7 },
        { key: 'a', found: true, value: 'x', version: 8 },
        { key: 'a', found: true, value: 'x', version: 8 },
        { key: 'a', found: true, value: 'y', version: 8 },
        { key: 'a', found: true, value: 'y', version: 8 },
      ],
    });
  });

  it('delete stages a null value (tombstone with a version) and later reads see it missing', () => {
    const ev = evaluateOps(
      [
        { type: 'delete', key: 'a' },
        { type: 'get', key: 'a' },
        { type: 'check', key: 'a', expect: { kind: 'exists', exists: false } },
      ],
      store({ a: { value: 'v', version: 2 } }),
    );
    expect(ev.ok).toBe(true);
    if (!ev.ok) return;
    expect(ev.writes).toEqual([{ key: 'a', value: null, version: 3 }]);
    expect(ev.results[0]).toEqual({ key: 'a', found: true, value: '', version: 3 });
    expect(ev.results[1]).toEqual({ key: 'a', found: false, value: '', version: 3 });
  });

  it('treats a stored tombstone as missing but keeps its version', () => {
    const s = store({ a: { value: null, version: 4 } });
    expect(evaluateOps([{ type: 'get', key: 'a' }], s)).toEqual({
      ok: true,
      writes: [],
      results: [{ key: 'a', found: false, value: '', version: 4 }],
    });
    // version 0 means "does not exist": satisfied by a tombstone
    expect(evaluateOps([{ type: 'check', key: 'a', expect: { kind: 'version', version: 0 } }], s).ok).toBe(true);
    expect(evaluateOps([{ type: 'check', key: 'a', expect: { kind: 'version', version: 4 } }], s).ok).toBe(true);
    // re-creating it continues the version sequence
    const put = evaluateOps([{ type: 'put', key: 'a', value: 'n' }], s);
    expect(put.ok && put.writes).toEqual([{ key: 'a', value: 'n', version: 5 }]);
    expect(put.ok && put.results[0]!.found).toBe(false);
  });

  it('fails checks with PRECONDITION_FAILED naming the key', () => {
    const s = store({ a: { value: 'v', version: 2 } });
    const cases: [TxnOp, RegExp][] = [
      [{ type: 'check', key: 'a', expect: { kind: 'version', version: 1 } }, /check failed on key a: version is 2, expected 1/],
      [{ type: 'check', key: 'a', expect: { kind: 'version', version: 0 } }, /version is 2, expected 0/],
      [{ type: 'check', key: 'a', expect: { kind: 'value', value: 'w' } }, /check failed on key a: value differs/],
      [{ type: 'check', key: 'a', expect: { kind: 'exists', exists: false } }, /key a: key exists/],
      [{ type: 'check', key: 'b', expect: { kind: 'exists', exists: true } }, /key b: key does not exist/],
      [{ type: 'check', key: 'b', expect: { kind: 'value', value: '' } }, /key b: value differs/],
    ];
    for (const [op, re] of cases) {
      const ev = evaluateOps([{ type: 'put', key: 'z', value: '1' }, op], s);
      expect(ev.ok).toBe(false);
      if (ev.ok) continue;
      expect(ev.code).toBe('PRECONDITION_FAILED');
      expect(ev.reason).toMatch(re);
    }
  });

  it('add treats a missing value as 0 and respects bounds', () => {
    const ok = evaluateOps([{ type: 'add', key: 'n', delta: 5n, min: 0n, max: 5n }], store({}));
    expect(ok).toEqual({
      ok: true,
      writes: [{ key: 'n', value: '5', version: 1 }],
      results: [{ key: 'n', found: false, value: '5', version: 1 }],
    });
    const below = evaluateOps([{ type: 'add', key: 'n', delta: -11n, min: 0n }], store({ n: { value: '10', version: 3 } }));
    expect(below).toEqual({
      ok: false,
      code: 'PRECONDITION_FAILED',
      reason: 'add on key n: 10 + -11 = -1 is below the minimum 0',
    });
    const above = evaluateOps([{ type: 'add', key: 'n', delta: 1n, max: 10n }], store({ n: { value: '10', version: 3 } }));
    expect(above.ok).toBe(false);
    expect(!above.ok && above.reason).toMatch(/is above the maximum 10/);
  });

  it('add refuses non-integer stored values and int64 overflow', () => {
    for (const raw of ['abc', '1.5', '01', '', ' 1', '+1']) {
      const ev = evaluateOps([{ type: 'add', key: 'n', delta: 1n }], store({ n: { value: raw, version: 1 } }));
      expect(ev.ok, `stored ${JSON.stringify(raw)}`).toBe(false);
      expect(!ev.ok && ev.reason).toMatch(/stored value is not an integer/);
    }
    const ov = evaluateOps([{ type: 'add', key: 'n', delta: 1n }], store({ n: { value: LIMITS.maxInt64.toString(), version: 1 } }));
    expect(!ov.ok && ov.reason).toMatch(/overflows a signed 64-bit integer/);
    const un = evaluateOps([{ type: 'add', key: 'n', delta: -1n }], store({ n: { value: LIMITS.minInt64.toString(), version: 1 } }));
    expect(!un.ok && un.reason).toMatch(/overflows/);
  });

  it('chained adds on one key see each other and write once', () => {
    const ev = evaluateOps(
      [
        { type: 'add', key: 'n', delta: 3n },
        { type: 'add', key: 'n', delta: -10n, min: -7n },
        { type: 'add', key: 'm', delta: 1n },
      ],
      store({ n: { value: '0', version: 9 } }),
    );
    expect(ev).toEqual({
      ok: true,
      writes: [
        { key: 'm', value: '1', version: 1 },
        { key: 'n', value: '-7', version: 10 },
      ],
      results: [
        { key: 'n', found: true, value: '3', version: 10 },
        { key: 'n', found: true, value: '-7', version: 10 },
        { key: 'm', found: false, value: '1', version: 1 },
      ],
    });
  });

  it('does not mutate the stored map', () => {
    const s = store({ a: { value: '1', version: 1 } });
    evaluateOps(
      [
        { type: 'put', key: 'a', value: '2' },
        { type: 'delete', key: 'b' },
      ],
      s,
    );
    expect([...s.entries()]).toEqual([['a', { value: '1', version: 1 }]]);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const keyArb = fc.constantFrom('a', 'b', 'c', 'd');
const int64Arb = fc.bigInt({ min: LIMITS.minInt64, max: LIMITS.maxInt64 });
const smallInt = fc.bigInt({ min: -1000n, max: 1000n });

const opArb: fc.Arbitrary<TxnOp> = fc.oneof(
  fc.record({ type: fc.constant('put' as const), key: keyArb, value: fc.oneof(fc.string({ maxLength: 5 }), smallInt.map(String)) }),
  fc.record({ type: fc.constant('delete' as const), key: keyArb }),
  fc.record({ type: fc.constant('get' as const), key: keyArb }),
  fc.tuple(keyArb, smallInt, fc.option(smallInt, { nil: undefined }), fc.option(smallInt, { nil: undefined })).map(([key, delta, a, b]): TxnOp => {
    const op: TxnOp = { type: 'add', key, delta };
    if (a !== undefined && b !== undefined) {
      op.min = a < b ? a : b;
      op.max = a < b ? b : a;
    } else if (a !== undefined) op.min = a;
    else if (b !== undefined) op.max = b;
    return op;
  }),
  fc.record({
    type: fc.constant('check' as const),
    key: keyArb,
    expect: fc.oneof(
      fc.record({ kind: fc.constant('version' as const), version: fc.nat(3) }),
      fc.record({ kind: fc.constant('exists' as const), exists: fc.boolean() }),
    ),
  }),
);

const storedArb: fc.Arbitrary<Map<string, StoredValue>> = fc
  .array(fc.tuple(keyArb, fc.record({ value: fc.oneof(fc.constant(null), smallInt.map(String), fc.string({ maxLength: 3 })), version: fc.nat(5) })), {
    maxLength: 4,
  })
  .map((entries) => new Map(entries));

describe('ops properties', () => {
  it('add never yields a value outside [min, max] nor outside int64', () => {
    fc.assert(
      fc.property(
        int64Arb,
        fc.array(fc.tuple(int64Arb, fc.option(int64Arb, { nil: undefined }), fc.option(int64Arb, { nil: undefined })), {
          minLength: 1,
          maxLength: 5,
        }),
        (start, adds) => {
          const ops: TxnOp[] = adds.map(([delta, a, b]) => {
            const op: TxnOp = { type: 'add', key: 'n', delta };
            if (a !== undefined) op.min = b !== undefined && b < a ? b : a;
            if (b !== undefined) op.max = a !== undefined && a > b ? a : b;
            return op;
          });
          const ev = evaluateOps(ops, new Map([['n', { value: start.toString(), version: 1 }]]));
          let expected = start;
          let valid = true;
          for (const op of ops) {
            if (op.type !== 'add') continue;
            expected += op.delta;
            if (
              (op.min !== undefined && expected < op.min) ||
              (op.max !== undefined && expected > op.max) ||
              expected < LIMITS.minInt64 ||
              expected > LIMITS.maxInt64
            ) {
              valid = false;
              break;
            }
          }
          expect(ev.ok).toBe(valid);
          if (!ev.ok) return;
          ev.results.forEach((r, i) => {
            const op = ops[i]!;
            if (op.type !== 'add') return;
            const v = BigInt(r.value);
            if (op.min !== undefined) expect(v >= op.min).toBe(true);
            if (op.max !== undefined) expect(v <= op.max).toBe(true);
            expect(v >= LIMITS.minInt64 && v <= LIMITS.maxInt64).toBe(true);
          });
          expect(ev.writes).toEqual([{ key: 'n', value: expected.toString(), version: 2 }]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('lockSet gives X for every written key, S for every only-read key, each key once, sorted', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 12 }), (ops) => {
        const locks = lockSet(ops);
        const keys = locks.map((l) => l.key);
        expect(keys).toEqual([...new Set(ops.map((o) => o.key))].sort());
        for (const l of locks) {
          const writes = ops.some((o) => o.key === l.key && isWrite(o));
          expect(l.mode).toBe(writes ? 'X' : 'S');
        }
      }),
    );
  });

  it('evaluateOps writes exactly the written keys, each with stored version + 1, covered by an X lock', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 12 }), storedArb, (ops, stored) => {
        const ev = evaluateOps(ops, stored);
        if (!ev.ok) {
          expect(ev.code).toBe('PRECONDITION_FAILED');
          expect(ev.reason).toMatch(/key [a-d]/);
          return;
        }
        expect(ev.results).toHaveLength(ops.length);
        ev.results.forEach((r, i) => expect(r.key).toBe(ops[i]!.key));
        const written = [...new Set(ops.filter(isWrite).map((o) => o.key))].sort();
        expect(ev.writes.map((w) => w.key)).toEqual(written);
        const xLocked = new Set(
          lockSet(ops)
            .filter((l) => l.mode === 'X')
            .map((l) => l.key),
        );
        for (const w of ev.writes) {
          expect(xLocked.has(w.key)).toBe(true);
          expect(w.version).toBe((stored.get(w.key)?.version ?? 0) + 1);
        }
      }),
      { numRuns: 500 },
    );
  });
});
