import type { ShardMap } from '../protocol/shardMap.js';
import type { MoveMark, ShardHostView } from '../runtime/shardHost.js';
import type { ShardHostState, ShardHostState__Output } from './generated/dtx/v1/ShardHostState.js';
import type { ShardMapMessage, ShardMapMessage__Output } from './generated/dtx/v1/ShardMapMessage.js';
import type { ShardMoveMark, ShardMoveMark__Output } from './generated/dtx/v1/ShardMoveMark.js';

/** Typed conversions of the shard map and move marks to and from dtx.v1 messages. */
export function mapToWire(map: ShardMap): ShardMapMessage {
  return { epoch: String(map.epoch), members: map.members.map((m) => ({ id: m.id, address: m.addr })), owners: map.owners };
}

/** A map from the wire, unchecked (see shardMapProblem): callers validate before believing it. */
export function mapFromWire(m: ShardMapMessage__Output): ShardMap {
  return { epoch: Number(m.epoch), members: m.members.map((x) => ({ id: x.id, addr: x.address })), owners: [...m.owners] };
}

export function markToWire(m: MoveMark): ShardMoveMark {
  return { moveId: m.moveId, shards: m.shards, from: m.from, to: m.to, epoch: String(m.epoch) };
}

export function markFromWire(m: ShardMoveMark__Output): MoveMark {
  return { moveId: m.moveId, shards: [...m.shards], from: m.from, to: m.to, epoch: Number(m.epoch) };
}

export function hostStateToWire(nodeId: string, v: ShardHostView): ShardHostState {
  return {
    nodeId,
    ...(v.map ? { map: mapToWire(v.map) } : {}),
    frozen: v.frozen.map(markToWire),
    incoming: v.incoming.map(markToWire),
    inDoubt: v.inDoubt,
    inDoubtTxns: v.inDoubtTxns,
  };
}

export function hostStateFromWire(s: ShardHostState__Output): ShardHostView & { nodeId: string } {
  return {
    nodeId: s.nodeId,
    map: s.map ? mapFromWire(s.map) : null,
    frozen: s.frozen.map(markFromWire),
    incoming: s.incoming.map(markFromWire),
    inDoubt: s.inDoubt,
    inDoubtTxns: [...s.inDoubtTxns],
  };
}
