import { invariant } from './invariant.js';
import type { NodeId, TxnId } from './types.js';

/**
 * FNV-1a with murmur3's final mix, 32 bits: the same on every node, in every run and in every
 * client language. The mix matters: without it ids that differ only in their last characters
 * (a counter at the end) mostly rank the coordinators alike.
 */
export function idHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

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
  let best: NodeId | null = null;
  let bestScore = -1;
  for (const c of coordinators) {
    const score = idHash(`${c}\n${txn}`);
    if (score > bestScore || (score === bestScore && best !== null && c < best)) {
      best = c;
      bestScore = score;
    }
  }
  return best!;
}
