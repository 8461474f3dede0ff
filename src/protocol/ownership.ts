import { invariant } from './invariant.js';
import { highestWeight } from './routing.js';
import type { NodeId, TxnId } from './types.js';

/**
 * The one coordinator that owns a transaction id, from the id and the cluster's coordinator ids
 * alone, so every coordinator (and a client) computes the same owner without asking anyone:
 * - an id a coordinator made carries its id as a prefix (`c1-…`): that coordinator;
 * - any other id (chosen by a client) goes to the coordinator that ranks highest for it
 *   (rendezvous hashing), so one id sent to two coordinators at once is run by one of them.
 * Ownership never depends on who is up: a coordinator that is down still owns its ids, and the
 * others forward to it or answer only what its participants know for certain.
 */
export function ownerOfTxn(txn: TxnId, coordinators: readonly NodeId[]): NodeId {
  invariant(coordinators.length > 0, 'ownership needs at least one coordinator');
  // The longest id that prefixes it: "c1-2-x" is c1-2's when both c1 and c1-2 exist.
  let prefixed: NodeId | null = null;
  for (const c of coordinators) if (txn.startsWith(`${c}-`) && (prefixed === null || c.length > prefixed.length)) prefixed = c;
  if (prefixed !== null) return prefixed;
  // The same hash as key placement (routing.ts); the mix matters: ids often differ only at the end.
  return highestWeight(coordinators, '\n', txn);
}
