import { createHash } from 'node:crypto';
import type { TxnOp } from '../protocol/types.js';

/** Fingerprint of a request's ops: a transaction id reused with other ops is refused. */
export function opsDigest(ops: readonly TxnOp[]): string {
  return createHash('sha256')
    .update(JSON.stringify(ops, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))
    .digest('base64url')
    .slice(0, 22);
}
