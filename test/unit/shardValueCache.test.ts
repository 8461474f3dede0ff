import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shardOf } from '../../src/protocol/shardMap.js';
import { ShardValueCache } from '../../src/storage/shardValueCache.js';

const SHARDS = 16;
const shard = (key: string): number => shardOf(key, SHARDS);

describe('ShardValueCache', () => {
  it('forgets exactly the values of the shards named, and keeps the rest', () => {
    const cache = new ShardValueCache<number>(1000, shard);
    const keys = Array.from({ length: 200 }, (_, i) => `acct:${i}`);
    keys.forEach((k, i) => cache.set(k, i));
    const gone = new Set([shard(keys[0]!), shard(keys[1]!)]);
    const forgotten = cache.forgetShards(gone);
    expect(forgotten).toBe(keys.filter((k) => gone.has(shard(k))).length);
    for (const [i, k] of keys.entries()) expect(cache.get(k)).toBe(gone.has(shard(k)) ? undefined : i);
    expect(cache.forgetShards(gone)).toBe(0);
  });

  it('behaves as an insertion-ordered bounded map whatever the sets, evictions and forgets (model check)', () => {
    const op = fc.oneof(
      fc.record({ set: fc.integer({ min: 0, max: 40 }), value: fc.integer() }),
      fc.record({ forget: fc.uniqueArray(fc.integer({ min: 0, max: SHARDS - 1 }), { maxLength: 3 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(op, { maxLength: 120 }), (capacity, ops) => {
        const cache = new ShardValueCache<number>(capacity, shard);
        const model = new Map<string, number>();
        for (const o of ops) {
          if ('set' in o) {
            const key = `k${o.set}`;
            model.delete(key);
            model.set(key, o.value);
            while (model.size > capacity) model.delete(model.keys().next().value as string);
            cache.set(key, o.value);
          } else {
            const drop = new Set(o.forget);
            let n = 0;
            for (const k of [...model.keys()]) if (drop.has(shard(k)) && model.delete(k)) n++;
            expect(cache.forgetShards(drop)).toBe(n);
          }
          expect(cache.size).toBe(model.size);
        }
        for (let i = 0; i <= 40; i++) expect(cache.get(`k${i}`)).toBe(model.get(`k${i}`));
      }),
      { seed: 20261207, numRuns: 300 },
    );
  });
});
