import type { KvEngine } from '../storage/kvEngine.js';
import { PKEY } from '../storage/participantStore.js';
import type { ShardChangeTracker } from './shardChangeTracker.js';

/** A row of a participant's log as a move carries it; `deleted`: a data row gone since the precopy. */
export interface ShardRow {
  key: string;
  value: string;
  deleted?: boolean;
}

/** Keys read per engine call. */
const READ_BATCH = 1000;

/**
 * The rows of `shards` a move carries apart from fences and locks: their data, then the outcome
 * records of the transactions that touched them (indexed by shard) and of ids that held no op
 * here (few; a retried id must find them on the new owner).
 */
export async function* shardRows(engine: KvEngine, shards: readonly number[], unkeyed = true): AsyncGenerator<ShardRow> {
  for (const shard of shards) {
    for (const [key, value] of await engine.scan(PKEY.dataShardPrefix(shard))) yield { key, value };
  }
  const txns = new Set<string>();
  for (const shard of shards) {
    const prefix = PKEY.outcomeIndexPrefix(shard);
    for (const k of await engine.scanKeys(prefix)) txns.add(k.slice(prefix.length));
  }
  if (unkeyed) for (const k of await engine.scanKeys(PKEY.unkeyedOutcomePrefix)) txns.add(k.slice(PKEY.unkeyedOutcomePrefix.length));
  yield* outcomeRows(engine, [...txns]);
}

/** What changed since a precopy, read now: each data row the tracker saw written (or its deletion), each outcome record. */
export async function* changedRows(engine: KvEngine, tracker: ShardChangeTracker): AsyncGenerator<ShardRow> {
  const keys = [...tracker.dataKeys];
  for (let i = 0; i < keys.length; i += READ_BATCH) {
    const batch = keys.slice(i, i + READ_BATCH);
    const values = await getMany(engine, batch);
    for (let j = 0; j < batch.length; j++) {
      const value = values[j];
      yield value === undefined ? { key: batch[j]!, value: '', deleted: true } : { key: batch[j]!, value };
    }
  }
  yield* outcomeRows(engine, [...tracker.txns]);
}

async function* outcomeRows(engine: KvEngine, txns: readonly string[]): AsyncGenerator<ShardRow> {
  for (let i = 0; i < txns.length; i += READ_BATCH) {
    const keys = txns.slice(i, i + READ_BATCH).map((t) => PKEY.outcome(t));
    const values = await getMany(engine, keys);
    for (let j = 0; j < keys.length; j++) if (values[j] !== undefined) yield { key: keys[j]!, value: values[j]! };
  }
}

/** How much of a chunk one row takes: its key and value as the wire carries them (UTF-8). */
function rowBytes(r: ShardRow): number {
  return Buffer.byteLength(r.key) + Buffer.byteLength(r.value);
}

/**
 * Rows in chunks of at most `maxRows` rows and `maxBytes` bytes (what one Export message and one
 * Import call carry; a row larger than `maxBytes` travels alone). Bytes bound them as well as rows:
 * one outcome record can hold a large transaction's results, and a chunk of a thousand such would
 * pass the message limit and stall every event loop it crosses.
 */
export async function* inChunks(rows: AsyncIterable<ShardRow>, maxRows: number, maxBytes: number): AsyncGenerator<ShardRow[]> {
  let chunk: ShardRow[] = [];
  let bytes = 0;
  for await (const row of rows) {
    const size = rowBytes(row);
    if (chunk.length > 0 && bytes + size > maxBytes) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(row);
    bytes += size;
    if (chunk.length >= maxRows) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
  }
  if (chunk.length > 0) yield chunk;
}

function getMany(engine: KvEngine, keys: readonly string[]): Promise<(string | undefined)[]> {
  return new Promise((resolve, reject) => engine.getMany(keys, (err, values) => (err ? reject(err) : resolve(values))));
}
