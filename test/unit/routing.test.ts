import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BoundedMap } from '../../src/protocol/boundedMap.js';
import * as routing from '../../src/protocol/routing.js';
import { initialMap, ownerOfKey } from '../../src/protocol/shardMap.js';

const { fnv1a32, ownerOf } = routing;

describe('fnv1a32', () => {
  it('matches the published FNV-1a 32-bit test vectors (clients in other languages rely on it)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('hashes UTF-8 bytes, not UTF-16 code units', () => {
    // 'é' is two UTF-8 bytes c3 a9
    let h = 0x811c9dc5;
    for (const b of [0xc3, 0xa9]) {
      h ^= b;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    expect(fnv1a32('é')).toBe(h);
  });

  it('always returns an unsigned 32-bit integer', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const h = fnv1a32(s);
        expect(Number.isInteger(h) && h >= 0 && h <= 0xffffffff).toBe(true);
      }),
    );
  });
});

describe('ownerOf', () => {
  it('throws without participants and returns the only one otherwise', () => {
    expect(() => ownerOf('k', [])).toThrow(/no participants/);
    expect(ownerOf('k', ['solo'])).toBe('solo');
  });

  it("is the owner of the key's shard in a new cluster's first map (shards dealt over the sorted ids)", () => {
    const ps = ['p3', 'p1', 'p2'];
    const map = initialMap(ps.map((id) => ({ id, addr: '' })));
    for (const key of ['alice', 'bob', 'k1', 'k2', 'stock:42', 'é']) expect(ownerOf(key, ps)).toBe(ownerOfKey(map, key));
  });

  it('spreads keys over every participant', () => {
    const ps = ['p1', 'p2', 'p3'];
    const counts = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const o = ownerOf(`key-${i}`, ps);
      counts.set(o, (counts.get(o) ?? 0) + 1);
    }
    for (const p of ps) expect(counts.get(p) ?? 0).toBeGreaterThan(700);
  });

  const participantsArb = fc.uniqueArray(fc.stringMatching(/^[a-z0-9]{1,6}$/), { minLength: 1, maxLength: 8 });

  it('property: stable under any permutation of the participant list', () => {
    fc.assert(
      fc.property(
        participantsArb.chain((ps) => fc.tuple(fc.constant(ps), fc.shuffledSubarray(ps, { minLength: ps.length }))),
        fc.array(fc.string({ maxLength: 12 }), { minLength: 1, maxLength: 20 }),
        ([ps, perm], keys) => {
          for (const k of keys) expect(ownerOf(k, perm)).toBe(ownerOf(k, ps));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('BoundedMap', () => {
  it('forgets the oldest entries beyond its capacity', () => {
    const m = new BoundedMap<string, number>(2);
    m.set('a', 1);
    m.set('b', 2);
    m.set('c', 3);
    expect(m.size).toBe(2);
    expect(m.get('a')).toBeUndefined();
    expect(m.get('b')).toBe(2);
    expect(m.get('c')).toBe(3);
  });

  it('re-setting a key makes it the newest', () => {
    const m = new BoundedMap<string, number>(2);
    m.set('a', 1);
    m.set('b', 2);
    m.set('a', 10);
    m.set('c', 3);
    expect(m.get('a')).toBe(10);
    expect(m.get('b')).toBeUndefined();
    expect(m.size).toBe(2);
  });

  it('property: behaves like a Map holding the last `capacity` distinct keys written', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.tuple(fc.nat(8), fc.nat()), { maxLength: 40 }), (cap, writes) => {
        const m = new BoundedMap<number, number>(cap);
        const order: number[] = [];
        const vals = new Map<number, number>();
        for (const [k, v] of writes) {
          m.set(k, v);
          const i = order.indexOf(k);
          if (i >= 0) order.splice(i, 1);
          order.push(k);
          vals.set(k, v);
        }
        const kept = order.slice(-cap);
        expect(m.size).toBe(kept.length);
        for (let k = 0; k <= 8; k++) expect(m.get(k)).toBe(kept.includes(k) ? vals.get(k) : undefined);
      }),
    );
  });
});
