import { invariant } from './invariant.js';
import { DEFAULT_SHARD_COUNT, fmix32, fnv1a32 } from './routing.js';
import type { NodeId } from './types.js';

/**
 * How many virtual shards a new cluster's keys hash to. Fixed for a cluster's life (its map's
 * length): a move carries whole shards, so 1,024 keeps each one small (a thousandth of the
 * data) while the map stays a few kilobytes.
 */
export { DEFAULT_SHARD_COUNT };

export interface ShardMember {
  id: NodeId;
  addr: string;
}

/**
 * Which participant owns each virtual shard. Every change raises the epoch by one; a
 * participant serves only the shards this map gives it at its own epoch, so two owners of a
 * shard can never both accept a prepare.
 */
export interface ShardMap {
  epoch: number;
  /** Sorted by id; a member may own no shard (just added, or being drained). */
  members: ShardMember[];
  /** owners[shard] = the member serving it; length = the cluster's shard count. */
  owners: NodeId[];
}

/** The virtual shard a key (or a lock name) hashes to: the same hash as rendezvous routing. */
export function shardOf(key: string, shardCount: number): number {
  return fmix32(fnv1a32(key)) % shardCount;
}

export function ownerOfKey(map: ShardMap, key: string): NodeId {
  return map.owners[shardOf(key, map.owners.length)]!;
}

export function memberIds(map: ShardMap): NodeId[] {
  return map.members.map((m) => m.id);
}

export function addressOf(map: ShardMap, id: NodeId): string | undefined {
  return map.members.find((m) => m.id === id)?.addr;
}

/** The first map of a cluster: shards dealt round-robin over the sorted members (even to within one). */
export function initialMap(members: readonly ShardMember[], shardCount = DEFAULT_SHARD_COUNT): ShardMap {
  invariant(members.length > 0, 'a shard map needs at least one participant');
  invariant(Number.isInteger(shardCount) && shardCount >= 1 && shardCount <= 65_536, () => `shard count ${shardCount} out of range`);
  const sortedMembers = [...members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    epoch: 1,
    members: sortedMembers,
    owners: Array.from({ length: shardCount }, (_, s) => sortedMembers[s % sortedMembers.length]!.id),
  };
}

/** Shards per member (members without shards count 0). */
export function loadOf(map: ShardMap): Map<NodeId, number> {
  const load = new Map<NodeId, number>(map.members.map((m) => [m.id, 0]));
  for (const o of map.owners) load.set(o, (load.get(o) ?? 0) + 1);
  return load;
}

export function shardsOwnedBy(map: ShardMap, id: NodeId): number[] {
  const out: number[] = [];
  map.owners.forEach((o, s) => {
    if (o === id) out.push(s);
  });
  return out;
}

/** How far a membership change has got (streamed by the coordinator running it). */
export interface MoveProgress {
  shardsTotal: number;
  shardsMoved: number;
  keysMoved: number;
  epoch: number;
  step: string;
  done: boolean;
  keysPerSecond: number;
}

export interface ShardMove {
  shard: number;
  from: NodeId;
  to: NodeId;
}

/**
 * The fewest single-shard moves that leave every member in `keep` within one shard of the others
 * and nothing on a member outside it: shards of leaving members go to the least loaded, then the
 * most loaded give to the least loaded. Deterministic (ties by id, then the highest shard first).
 */
export function balancingMoves(map: ShardMap, keep: readonly NodeId[]): ShardMove[] {
  invariant(keep.length > 0, 'balancing needs at least one member to keep');
  const keepSet = new Set(keep);
  const owned = new Map<NodeId, number[]>(keep.map((id) => [id, []]));
  const leaving: { shard: number; from: NodeId }[] = [];
  map.owners.forEach((o, s) => {
    if (keepSet.has(o)) owned.get(o)!.push(s);
    else leaving.push({ shard: s, from: o });
  });
  const byLoad = (a: NodeId, b: NodeId): number => owned.get(a)!.length - owned.get(b)!.length || (a < b ? -1 : a > b ? 1 : 0);
  const least = (): NodeId => [...keepSet].sort(byLoad)[0]!;
  const most = (): NodeId => [...keepSet].sort(byLoad).at(-1)!;
  const moves: ShardMove[] = [];
  for (const { shard, from } of leaving) {
    const to = least();
    owned.get(to)!.push(shard);
    moves.push({ shard, from, to });
  }
  for (let guard = 0; guard < map.owners.length; guard++) {
    const from = most();
    const to = least();
    if (owned.get(from)!.length - owned.get(to)!.length <= 1) break;
    const shard = owned.get(from)!.pop()!;
    owned.get(to)!.push(shard);
    moves.push({ shard, from, to });
  }
  return moves;
}

/** The map after `moves`, one epoch later. */
export function withMoves(map: ShardMap, moves: readonly ShardMove[], members: readonly ShardMember[] = map.members): ShardMap {
  const owners = [...map.owners];
  for (const m of moves) {
    invariant(owners[m.shard] === m.from, () => `shard ${m.shard} moves from ${m.from} but ${owners[m.shard]} owns it`);
    owners[m.shard] = m.to;
  }
  const ids = new Set(members.map((m) => m.id));
  for (const o of owners) invariant(ids.has(o), () => `shard owner ${o} is not a member`);
  return { epoch: map.epoch + 1, members: [...members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)), owners };
}

/** What a map from a peer or a file must satisfy before it is believed. Returns the problem or null. */
export function shardMapProblem(map: ShardMap): string | null {
  if (!Number.isSafeInteger(map.epoch) || map.epoch < 1) return `epoch ${map.epoch} is not a positive integer`;
  if (map.members.length === 0) return 'the map has no members';
  if (map.owners.length < 1 || map.owners.length > 65_536) return `${map.owners.length} shards is out of range (1..65536)`;
  const ids = new Set<NodeId>();
  for (const m of map.members) {
    if (!m.id || ids.has(m.id)) return `member id ${JSON.stringify(m.id)} is empty or repeated`;
    ids.add(m.id);
  }
  const stray = map.owners.find((o) => !ids.has(o));
  if (stray !== undefined) return `shard owner ${JSON.stringify(stray)} is not a member`;
  return null;
}

/** Two maps say the same thing (same epoch, members and owners). */
export function sameMap(a: ShardMap, b: ShardMap): boolean {
  return (
    a.epoch === b.epoch &&
    a.owners.length === b.owners.length &&
    a.members.length === b.members.length &&
    a.members.every((m, i) => m.id === b.members[i]!.id && m.addr === b.members[i]!.addr) &&
    a.owners.every((o, i) => o === b.owners[i])
  );
}

/** A one-line summary: `epoch 3: p1 342, p2 341, p3 341`. */
export function describeMap(map: ShardMap): string {
  return `epoch ${map.epoch}: ${[...loadOf(map)].map(([id, n]) => `${id} ${n}`).join(', ')}`;
}
