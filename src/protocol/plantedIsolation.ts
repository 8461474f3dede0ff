import type { KeyWrite, StoredValue, TxnOp } from './types.js';

/**
 * The planted isolation bugs of the participant core (tests only, src/runtime/plantedBugs.ts):
 * what each one changes, kept apart so that the core's own path reads as the real code.
 */

/**
 * PLANTED BUG participant.firstWriteStaged: the staged writes, deduplicated by key keeping the
 * first put instead of the last — what commits for a key written twice is its intermediate value.
 */
export function firstPutStaged(ops: readonly TxnOp[], writes: readonly KeyWrite[]): KeyWrite[] {
  const first = new Map<string, string>();
  for (const op of ops) if (op.type === 'put' && !first.has(op.key)) first.set(op.key, op.value);
  return writes.map((w) => (first.has(w.key) ? { ...w, value: first.get(w.key)! } : w));
}

/**
 * PLANTED BUG participant.earlyLockRelease: early lock release reads a key as the
 * prepared transactions that released it will leave it (the newest version of theirs), as if
 * they had committed — without tying the reader to their decision.
 */
export function withPreparedWrites(
  stored: ReadonlyMap<string, StoredValue>,
  keys: readonly string[],
  prepared: Iterable<readonly KeyWrite[]>,
): Map<string, StoredValue> {
  const out = new Map(stored);
  const wanted = new Set(keys);
  for (const writes of prepared) {
    for (const w of writes) {
      if (!wanted.has(w.key)) continue;
      const have = out.get(w.key);
      if (!have || w.version > have.version) out.set(w.key, { value: w.value, version: w.version });
    }
  }
  return out;
}
