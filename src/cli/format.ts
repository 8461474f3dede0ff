import type { OpResult } from '../protocol/types.js';
import type { TxnResult } from '../client/dtxClient.js';

export function formatResults(results: OpResult[]): string {
  return results.map((r) => `  ${r.key} = ${r.found || r.value !== '' ? JSON.stringify(r.value) : '(absent)'}  (version ${r.version})`).join('\n');
}

export function formatTxn(r: TxnResult): string {
  const head = r.outcome === 'ABORTED' ? `ABORTED ${r.txnId}: ${r.reason}` : `${r.outcome} ${r.txnId}`;
  return r.results.length > 0 ? `${head}\n${formatResults(r.results)}` : head;
}

/** JSON with bigints as strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
}
