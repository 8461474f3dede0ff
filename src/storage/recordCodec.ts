/**
 * The on-disk format of every LevelDB value a node writes: JSON objects tagged with a
 * record format version `v`, checked field by field when read back.
 *
 * A value that does not check out throws CorruptRecord, naming the node, the key and the
 * field, instead of reaching a protocol core as a half-typed object that fails later (or
 * not at all) somewhere far from the disk.
 *
 * `v` is the format of the record, not to be confused with the `version` of a stored key.
 * Records written before this codec carry no `v`. They have the same shape as
 * format 1 and are read as format 1, so existing data dirs keep working. A `v` above
 * RECORD_FORMAT means a newer dtx wrote the record: refused, because guessing at a format
 * this code does not know could misread a commit decision.
 *
 * Validation uses zod rather than hand-written checks: on the StoredValue hot path (a
 * cache miss) it adds ~100 ns to JSON.parse's ~250 ns (hand-written checks: ~20 ns), which
 * is lost beside the LevelDB read of several microseconds that precedes every decode.
 */
import { z } from 'zod';
import type { DecisionRecord, ParticipantOutcomeRecord, PrepareRecord } from '../protocol/records.js';
import { isValidTraceparent } from '../protocol/traceContext.js';
import { PROTOCOLS, type StoredValue } from '../protocol/types.js';
import type { NodeIdentity } from './nodeStore.js';

/** The newest record format this code writes and can read. */
export const RECORD_FORMAT = 1;

/** Where a value was read: named in every CorruptRecord message. */
export interface RecordAt {
  /** The reading node as a person would name it, e.g. `participant p2`. */
  node: string;
  /** The full LevelDB key, prefix included, e.g. `p!t17`. */
  key: string;
}

export class CorruptRecord extends Error {
  constructor(
    readonly node: string,
    readonly key: string,
    readonly problem: string,
  ) {
    super(`corrupt record on ${node} at key ${key}: ${problem}`);
    this.name = 'CorruptRecord';
  }
}

/** A lock service grant under `l!<name>` (lockStore.ts keeps its own copy of this type until it is wired in). */
export interface StoredGrant {
  name: string;
  token: number;
  ttlMs: number;
}

// Every schema carries its own "expected ..." text, so that a failed check reads the same
// whichever zod check caught it (see describeIssue).
const expecting = (what: string) => ({ error: `expected ${what}` });

const str = z.string(expecting('a string'));
// Only where the writer guarantees it (txn ids, keys, lock names, node ids of the identity):
// a stricter check than the writers' would make a healthy data dir unreadable.
const nonEmpty = z.string(expecting('a non-empty string')).min(1, expecting('a non-empty string'));
const nullableStr = z.string(expecting('a string or null')).nullable();
const bool = z.boolean(expecting('true or false'));
// Safe integers: versions and tokens are compared and incremented, a fraction or 2^60 would not be.
const count = z.int(expecting('an integer >= 0')).min(0, expecting('an integer >= 0'));
// Timestamps come from clocks (and ageMs from the wire): only finiteness matters to the cores.
const finite = z.number(expecting('a finite number'));
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, expecting(`${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`));
const arrayOf = <T extends z.ZodType>(element: T) => z.array(element, expecting('an array'));
const object = <T extends z.ZodRawShape>(shape: T) => z.object(shape, expecting('an object'));

const outcome = oneOf(['COMMITTED', 'ABORTED']);
const protocol = oneOf(PROTOCOLS);
const abortCode = oneOf(['CONFLICT', 'PRECONDITION_FAILED', 'UNAVAILABLE_PARTICIPANT', 'TIMED_OUT', 'PRESUMED', 'WRONG_SHARD']);
const opResult = object({ key: nonEmpty, found: bool, value: str, version: count, index: count.optional(), of: count.optional() });
const keyWrite = object({ key: nonEmpty, value: nullableStr, version: count });
const lockRequest = object({ key: nonEmpty, mode: oneOf(['S', 'X']) });

const storedValue = object({ value: nullableStr, version: count });
// Written only from a traceparent checked on arrival.
const traceparent = str.refine(isValidTraceparent, expecting('a W3C traceparent'));

const prepare = object({
  txn: nonEmpty,
  coordinatorId: str,
  coordinatorAddr: str,
  participants: arrayOf(str),
  // Prepare records written before 3pc/nb have no addresses; the participant core reads them as [].
  participantAddrs: arrayOf(str).default(() => []),
  protocol: protocol.optional(),
  precommitted: bool.optional(),
  age: object({ ms: finite, id: nonEmpty }),
  bornMs: finite.optional(),
  locks: arrayOf(lockRequest),
  writes: arrayOf(keyWrite),
  results: arrayOf(opResult),
  trace: traceparent.optional(),
});

const participantOutcome = object({
  txn: nonEmpty,
  outcome,
  results: arrayOf(opResult),
  readOnly: bool.optional(),
  keys: arrayOf(str).optional(),
  bornMs: finite.optional(),
});

const decision = object({
  txn: nonEmpty,
  outcome,
  participants: arrayOf(str),
  results: arrayOf(opResult),
  reason: str,
  abortCode: abortCode.optional(),
  digest: str,
  decidedAtMs: finite,
  readOnly: bool.optional(),
  protocol: protocol.optional(),
  heuristic: object({ by: str, note: str }).optional(),
  trace: traceparent.optional(),
  bornMs: finite.optional(),
});

const identity = object({ id: nonEmpty, role: oneOf(['coordinator', 'participant']) });
const grant = object({ name: nonEmpty, token: count, ttlMs: count });
const lastToken = object({ lastToken: count });
const unfinished = object({});

// zod drops fields its schema does not name, so a field added to a record type but not here
// would be written and then silently lost on read. These fail to compile when the key sets drift.
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : never) : never;
const sameKeys = <A, B>(ok: SameKeys<A, B>): SameKeys<A, B> => ok;
sameKeys<PrepareRecord, z.output<typeof prepare>>(true);
sameKeys<ParticipantOutcomeRecord, z.output<typeof participantOutcome>>(true);
sameKeys<DecisionRecord, z.output<typeof decision>>(true);
sameKeys<StoredValue, z.output<typeof storedValue>>(true);
sameKeys<NodeIdentity, z.output<typeof identity>>(true);
sameKeys<StoredGrant, z.output<typeof grant>>(true);

function fail(at: RecordAt, problem: string): never {
  throw new CorruptRecord(at.node, at.key, problem);
}

function show(value: unknown): string {
  if (typeof value === 'number') return String(value); // JSON would print Infinity (from 1e999) as null
  const s = JSON.stringify(value);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

/**
 * The offending value is looked up here rather than asked of zod (`reportInput`): that
 * option takes zod off its compiled fast path and makes every decode ~6x slower.
 */
function valueAt(record: unknown, path: readonly PropertyKey[]): unknown {
  let value = record;
  for (const p of path) value = typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[p] : undefined;
  return value;
}

function describeIssue(issue: z.core.$ZodIssue, record: unknown): string {
  const where = issue.path.length === 0 ? 'record' : `field "${fieldPath(issue.path)}"`;
  const value = valueAt(record, issue.path);
  return `${where} is ${value === undefined ? 'missing' : show(value)}, ${issue.message}`;
}

function parseJson(raw: string, at: RecordAt): unknown {
  try {
    return JSON.parse(raw);
  } catch (err) {
    return fail(at, `not JSON: ${(err as Error).message}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkFormat(record: Record<string, unknown>, at: RecordAt): void {
  const v = record.v;
  if (v === undefined || v === RECORD_FORMAT) return; // no `v`: written before versioning, same shape as format 1
  if (Number.isSafeInteger(v) && (v as number) > RECORD_FORMAT) {
    fail(at, `record format v${v as number} was written by a newer dtx (this one reads up to v${RECORD_FORMAT})`);
  }
  fail(at, `field "v" is ${show(v)}, expected a record format version (a positive integer)`);
}

function decodeWith<S extends z.ZodType>(schema: S, parsed: unknown, at: RecordAt): z.output<S> {
  if (isObject(parsed)) checkFormat(parsed, at);
  const result = schema.safeParse(parsed);
  if (result.success) return result.data;
  const [first, ...rest] = result.error.issues;
  const more = rest.length === 0 ? '' : ` (and ${rest.length} more problem${rest.length === 1 ? '' : 's'})`;
  return fail(at, describeIssue(first!, parsed) + more);
}

// `v` goes first so that a person dumping a data dir sees the format before the fields.
const tagged = <T extends object>(record: T): string => JSON.stringify({ v: RECORD_FORMAT, ...record });

/** `k!<key>` and `f!<lock>`: a committed value. On the commit and cache-miss paths: kept to one small object. */
export function encodeStoredValue(sv: StoredValue): string {
  return JSON.stringify({ v: RECORD_FORMAT, value: sv.value, version: sv.version });
}
export function decodeStoredValue(raw: string, at: RecordAt): StoredValue {
  return decodeWith(storedValue, parseJson(raw, at), at);
}

/** `p!<txn>`: a participant's prepare (or 3pc pre-commit) record. */
export function encodePrepare(record: PrepareRecord): string {
  return tagged(record);
}
export function decodePrepare(raw: string, at: RecordAt): PrepareRecord {
  return decodeWith(prepare, parseJson(raw, at), at);
}

/** `o!<txn>`: a participant's outcome record. */
export function encodeParticipantOutcome(record: ParticipantOutcomeRecord): string {
  return tagged(record);
}
export function decodeParticipantOutcome(raw: string, at: RecordAt): ParticipantOutcomeRecord {
  return decodeWith(participantOutcome, parseJson(raw, at), at);
}

/** `d!<txn>`: a coordinator's decision. */
export function encodeDecision(record: DecisionRecord): string {
  return tagged(record);
}
export function decodeDecision(raw: string, at: RecordAt): DecisionRecord {
  return decodeWith(decision, parseJson(raw, at), at);
}

/** `u!<txn>`: the coordinator's marker of a COMMIT not yet delivered everywhere. Its key is its content. */
export function encodeUnfinished(): string {
  return tagged({});
}
/** Throws CorruptRecord unless `raw` is an unfinished marker. */
export function decodeUnfinished(raw: string, at: RecordAt): void {
  const parsed = parseJson(raw, at);
  if (parsed === '') return; // written before versioning as the JSON string ""
  decodeWith(unfinished, parsed, at);
}

/** `m!identity`: which node a data dir belongs to. */
export function encodeIdentity(record: NodeIdentity): string {
  return tagged(record);
}
export function decodeIdentity(raw: string, at: RecordAt): NodeIdentity {
  return decodeWith(identity, parseJson(raw, at), at);
}

/** `l!<name>`: the lock service's newest grant of a lock. */
export function encodeGrant(record: StoredGrant): string {
  return tagged(record);
}
export function decodeGrant(raw: string, at: RecordAt): StoredGrant {
  return decodeWith(grant, parseJson(raw, at), at);
}

/** `m!locks.lastToken`: the highest fencing token ever issued. */
export function encodeLastToken(token: number): string {
  return tagged({ lastToken: token });
}
export function decodeLastToken(raw: string, at: RecordAt): number {
  const parsed = parseJson(raw, at);
  // Written before versioning as a bare number.
  if (!isObject(parsed)) return decodeWith(count, parsed, at);
  return decodeWith(lastToken, parsed, at).lastToken;
}
