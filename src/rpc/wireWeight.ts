import type { Op } from './generated/dtx/v1/Op.js';
import type { OpResult } from './generated/dtx/v1/OpResult.js';

/** Per message and per field: ids, tags, lengths. */
const OVERHEAD = 64;

/** A cheap estimate of a message's encoded size, for batch limits (string length, not UTF-8 bytes: within 3×). */
export function opsWeight(ops: readonly Op[] | undefined): number {
  let n = OVERHEAD;
  for (const op of ops ?? []) n += OVERHEAD + (op.key?.length ?? 0) + (op.put?.value?.length ?? 0);
  return n;
}

export function resultsWeight(results: readonly OpResult[] | undefined, text = ''): number {
  let n = OVERHEAD + text.length;
  for (const r of results ?? []) n += OVERHEAD + (r.key?.length ?? 0) + (r.value?.length ?? 0);
  return n;
}
