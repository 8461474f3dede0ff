import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { balancingMoves, initialMap, loadOf, ownerOfKey, sameMap, shardMapProblem, shardOf, withMoves, type ShardMap } from '../../src/protocol/shardMap.js';
import { precopyCalls, stepsOf } from '../../src/node/shardMover.js';

const members = (ids: string[]) => ids.map((id) => ({ id, addr: `127.0.0.1:${7700 + Number(id.slice(1))}` }));
const spread = (map: ShardMap, ids: string[]): number => {
  const load = loadOf(map);
  const n = ids.map((id) => load.get(id) ?? 0);
  return Math.max(...n) - Math.min(...n);
};

describe('shard map', () => {
  it('deals 1,024 shards evenly over the sorted members, epoch 1', () => {
    const map = initialMap(members(['p3', 'p1', 'p2']));
    expect(map.epoch).toBe(1);
    expect(map.owners).toHaveLength(1024);
    expect(map.members.map((m) => m.id)).toEqual(['p1', 'p2', 'p3']);
    expect([...loadOf(map).values()].sort()).toEqual([341, 341, 342]);
    expect(shardMapProblem(map)).toBeNull();
  });

  it('a key always hashes to the same shard, inside the range', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.integer({ min: 1, max: 4096 }), (key, n) => {
        const s = shardOf(key, n);
        expect(s).toBe(shardOf(key, n));
        expect(s >= 0 && s < n).toBe(true);
      }),
    );
  });

  it('adding a fourth member moves a quarter of the shards, all to it, and leaves everyone within one', () => {
    const before = initialMap(members(['p1', 'p2', 'p3']));
    const joined = withMoves(before, [], [...before.members, ...members(['p4'])]);
    expect(joined.epoch).toBe(2);
    const moves = balancingMoves(joined, ['p1', 'p2', 'p3', 'p4']);
    expect(moves).toHaveLength(256);
    expect(moves.every((m) => m.to === 'p4')).toBe(true);
    const after = withMoves(joined, moves);
    expect(after.epoch).toBe(3);
    expect(spread(after, ['p1', 'p2', 'p3', 'p4'])).toBeLessThanOrEqual(1);
    // keys of unmoved shards stay where they were
    const moved = new Set(moves.map((m) => m.shard));
    for (let i = 0; i < 2000; i++) {
      const k = `acct-${i}`;
      if (!moved.has(shardOf(k, 1024))) expect(ownerOfKey(after, k)).toBe(ownerOfKey(before, k));
      else expect(ownerOfKey(after, k)).toBe('p4');
    }
  });

  it('property: balancing to any subset leaves nothing on the others and everyone within one shard', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 300 }), (n, keepN, shards) => {
        const ids = Array.from({ length: n }, (_, i) => `p${i + 1}`);
        const keep = ids.slice(0, Math.min(keepN, n));
        const map = initialMap(members(ids), shards);
        const after = withMoves(map, balancingMoves(map, keep));
        expect(after.owners.every((o) => keep.includes(o))).toBe(true);
        expect(spread(after, keep)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 200 },
    );
  });

  it('withMoves refuses a move from a member that does not own the shard, and owners outside the members', () => {
    const map = initialMap(members(['p1', 'p2']));
    expect(() => withMoves(map, [{ shard: 0, from: 'p2', to: 'p1' }])).toThrow(/p1 owns it/);
    expect(() => withMoves(map, [], members(['p1']))).toThrow(/not a member/);
  });

  it('names what is wrong with a map from outside', () => {
    const good = initialMap(members(['p1', 'p2']));
    expect(shardMapProblem({ ...good, epoch: 0 })).toMatch(/epoch/);
    expect(shardMapProblem({ ...good, members: [] })).toMatch(/no members/);
    expect(shardMapProblem({ ...good, owners: [...good.owners.slice(1), 'p9'] })).toMatch(/p9/);
    expect(shardMapProblem({ ...good, members: [...good.members, good.members[0]!] })).toMatch(/repeated/);
    expect(sameMap(good, structuredClone(good))).toBe(true);
    expect(sameMap(good, { ...good, epoch: 2 })).toBe(false);
  });

  it('steps group moves by source and target, at most N shards each, interleaving the sources', () => {
    const moves = [0, 1, 2, 3, 4].map((s) => ({ shard: s, from: s % 2 ? 'p1' : 'p2', to: 'p3' }));
    const steps = stepsOf(moves, 2);
    expect(steps.map((st) => st.map((m) => m.shard))).toEqual([[0, 2], [1, 3], [4]]);
    for (const st of steps) expect(new Set(st.map((m) => `${m.from}>${m.to}`)).size).toBe(1);
  });

  it('ramped steps start with 1, 2, 4 shards, then `per`; every move once', () => {
    const moves = Array.from({ length: 40 }, (_, s) => ({ shard: s, from: 'p1', to: 'p4' }));
    const steps = stepsOf(moves, 8, true);
    expect(steps.map((st) => st.length)).toEqual([1, 2, 4, 8, 8, 8, 8, 1]);
    expect(steps.flat()).toEqual(moves);
  });

  it("a step's precopy: a call a shard, at most 8 calls, every shard once", () => {
    expect(precopyCalls([5, 9, 2])).toEqual([[5], [9], [2]]);
    const wide = Array.from({ length: 100 }, (_, i) => i);
    const calls = precopyCalls(wide);
    expect(calls.length).toBeLessThanOrEqual(8);
    expect(calls.flat()).toEqual(wide);
  });
});
