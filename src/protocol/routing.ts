import type { NodeId } from './types.js';

/** 32-bit FNV-1a over UTF-8 bytes: tiny, stable, and easy to reimplement in any client language. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** murmur3's 32-bit finalizer: FNV-1a alone barely mixes its last bytes, and keys often differ only there. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** How many virtual shards a new cluster's keys hash to (see shardMap.ts). */
export const DEFAULT_SHARD_COUNT = 1024;

/**
 * Where a key lives in a new cluster of these participants: its shard,
 * fmix32(fnv1a32(key)) mod 1024, dealt round-robin over the sorted ids — the first shard map
 * (shardMap.ts initialMap). A cluster whose map has changed routes by its map instead.
 */
export function ownerOf(key: string, participants: readonly NodeId[]): NodeId {
  if (participants.length === 0) throw new Error('no participants configured');
  const sorted = [...participants].sort();
  return sorted[(fmix32(fnv1a32(key)) % DEFAULT_SHARD_COUNT) % sorted.length]!;
}

/**
 * The candidate with the largest fmix32(fnv1a32(candidate + separator + item)) (ties: smallest
 * id): rendezvous hashing, shared by key placement and transaction ownership.
 */
export function highestWeight(candidates: readonly NodeId[], separator: string, item: string): NodeId {
  let best = candidates[0]!;
  let bestScore = -1;
  for (const c of candidates) {
    const score = fmix32(fnv1a32(`${c}${separator}${item}`));
    if (score > bestScore || (score === bestScore && c < best)) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}
