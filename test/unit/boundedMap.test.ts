import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedMap } from '../../src/protocol/boundedMap.js';

describe('BoundedMap', () => {
  it('evicts the oldest entry, in insertion order, across sets, deletes, clears and deleteWhere (model check)', () => {
    const op = fc.oneof(
      fc.record({ set: fc.integer({ min: 0, max: 30 }) }),
      fc.record({ del: fc.integer({ min: 0, max: 30 }) }),
      fc.record({ clear: fc.constant(true) }),
      fc.record({ dropOdd: fc.constant(true) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(op, { maxLength: 200 }), (capacity, ops) => {
        const evicted: number[] = [];
        const map = new BoundedMap<number, number>(capacity, (k) => evicted.push(k));
        const model = new Map<number, number>();
        const modelEvicted: number[] = [];
        ops.forEach((o, i) => {
          if ('set' in o) {
            model.delete(o.set);
            model.set(o.set, i);
            while (model.size > capacity) {
              const k = model.keys().next().value as number;
              model.delete(k);
              modelEvicted.push(k);
            }
            map.set(o.set, i);
          } else if ('del' in o) {
            expect(map.delete(o.del)).toBe(model.delete(o.del));
          } else if ('clear' in o) {
            model.clear();
            map.clear();
          } else {
            for (const k of [...model.keys()]) if (k % 2 === 1) model.delete(k);
            map.deleteWhere((k) => k % 2 === 1);
          }
          expect([...map.values()]).toEqual([...model.values()]);
        });
        expect(evicted).toEqual(modelEvicted);
      }),
      { seed: 20261207, numRuns: 500 },
    );
  });

  it('keeps the newest entries through many evictions and the rehashes they cause', () => {
    const map = new BoundedMap<number, number>(50_000);
    for (let i = 0; i < 250_000; i++) map.set(i, i);
    expect(map.size).toBe(50_000);
    expect(map.get(249_999)).toBe(249_999);
    expect(map.get(200_000)).toBe(200_000);
    expect(map.has(199_999)).toBe(false);
    map.set(7, 7);
    expect(map.has(200_000)).toBe(false);
    expect(map.get(7)).toBe(7);
  });
});
