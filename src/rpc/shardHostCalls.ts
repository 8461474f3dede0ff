import type { ShardMap } from '../protocol/shardMap.js';
import type { MoveMark, ShardHostView } from '../runtime/shardHost.js';
import { call } from './clients.js';
import type { ImportShardsResponse__Output } from './generated/dtx/v1/ImportShardsResponse.js';
import type { ShardChunk__Output } from './generated/dtx/v1/ShardChunk.js';
import type { ShardHostClient } from './generated/dtx/v1/ShardHost.js';
import type { ShardHostState__Output } from './generated/dtx/v1/ShardHostState.js';
import type { ShardRow__Output } from './generated/dtx/v1/ShardRow.js';
import { hostStateFromWire, mapToWire, markToWire } from './shardWire.js';

/** Typed promise forms of dtx.v1.ShardHost calls (what a mover and a coordinator's directory send). */
type View = ShardHostView & { nodeId: string };

const view = (s: ShardHostState__Output): View => hostStateFromWire(s);

export async function getMap(c: ShardHostClient, timeoutMs: number): Promise<View> {
  return view(await call<object, ShardHostState__Output>(c.GetMap.bind(c), {}, timeoutMs, true));
}

export async function installMap(c: ShardHostClient, map: ShardMap, token: number, timeoutMs: number): Promise<View> {
  return view(await call<object, ShardHostState__Output>(c.InstallMap.bind(c), { map: mapToWire(map), moverToken: String(token) }, timeoutMs, true));
}

export async function freeze(c: ShardHostClient, mark: MoveMark, token: number, drainTimeoutMs: number): Promise<View> {
  const req = { move: markToWire(mark), moverToken: String(token), drainTimeoutMs };
  return view(await call<object, ShardHostState__Output>(c.Freeze.bind(c), req, drainTimeoutMs + 5000, true));
}

export async function unfreeze(c: ShardHostClient, moveId: string, token: number, timeoutMs: number): Promise<View> {
  return view(await call<object, ShardHostState__Output>(c.Unfreeze.bind(c), { moveId, moverToken: String(token) }, timeoutMs, true));
}

export async function dropIncoming(c: ShardHostClient, moveId: string, token: number, timeoutMs: number): Promise<View> {
  return view(await call<object, ShardHostState__Output>(c.DropIncoming.bind(c), { moveId, moverToken: String(token) }, timeoutMs, true));
}

/**
 * A row on its way from a move's source to its target, as the wire carries it: the mover passes
 * it on without decoding its value (a step relays ~8,000 rows through the coordinator's heap).
 */
export type RelayedRow = ShardRow__Output;

export async function importRows(c: ShardHostClient, mark: MoveMark, rows: readonly RelayedRow[], token: number, timeoutMs: number): Promise<number> {
  const req = { move: markToWire(mark), rows, moverToken: String(token) };
  const res = await call<object, ImportShardsResponse__Output>(c.Import.bind(c), req, timeoutMs, true);
  return Number(res.rowsWritten);
}

/**
 * The rows of a frozen move (or, with `precopy`, of its shards while still served — of `shards`
 * among them if given), chunk by chunk; the whole export must end within `timeoutMs`.
 */
export async function* exportRows(
  c: ShardHostClient,
  moveId: string,
  token: number,
  timeoutMs: number,
  precopy?: { mark: MoveMark; shards?: readonly number[] },
): AsyncGenerator<RelayedRow[]> {
  const req = { moveId, moverToken: String(token), ...(precopy ? { precopy: markToWire(precopy.mark), precopyShards: [...(precopy.shards ?? [])] } : {}) };
  const stream = c.Export(req, { deadline: Date.now() + timeoutMs });
  try {
    for await (const chunk of stream as AsyncIterable<ShardChunk__Output>) {
      yield chunk.rows;
    }
  } finally {
    stream.cancel();
  }
}
