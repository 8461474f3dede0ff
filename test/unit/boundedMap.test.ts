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
        const map = new BoundedMap<number, number>(capacity, { evicted: (k) => evicted.push(k) });
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

  it('bounds the total weight too, keeping at least the newest entry (model check)', () => {
    const op = fc.oneof(
      fc.record({ set: fc.integer({ min: 0, max: 20 }), weight: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ del: fc.integer({ min: 0, max: 20 }) }),
      fc.record({ dropHeavy: fc.constant(true) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 20 }), fc.array(op, { maxLength: 200 }), (capacity, max, ops) => {
        const map = new BoundedMap<number, number>(capacity, { weight: { of: (w) => w, max } });
        const model = new Map<number, number>();
        const total = (): number => [...model.values()].reduce((a, b) => a + b, 0);
        for (const o of ops) {
          if ('set' in o) {
            model.delete(o.set);
            model.set(o.set, o.weight);
            while (model.size > capacity || (total() > max && model.size > 1)) model.delete(model.keys().next().value as number);
            map.set(o.set, o.weight);
          } else if ('del' in o) {
            expect(map.delete(o.del)).toBe(model.delete(o.del));
          } else {
            for (const [k, w] of [...model]) if (w > 5) model.delete(k);
            map.deleteWhere((_k, w) => w > 5);
          }
          expect([...map.values()]).toEqual([...model.values()]);
          expect(map.totalWeight).toBe(total());
        }
      }),
      { seed: 20261207, numRuns: 500 },
    );
  });

  it('keeps the newest entries through many evictions and the rehashes they cause (a large map evicts a 64th of itself at once)', () => {
    const map = new BoundedMap<number, number>(50_000);
    for (let i = 0; i < 250_000; i++) map.set(i, i);
    expect(map.size).toBeLessThanOrEqual(50_000);
    expect(map.size).toBeGreaterThanOrEqual(50_000 - Math.floor(50_000 / 64));
    const oldestKept = 250_000 - map.size;
    expect(map.get(249_999)).toBe(249_999);
    expect(map.get(oldestKept)).toBe(oldestKept);
    expect(map.has(oldestKept - 1)).toBe(false);
    map.set(7, 7);
    expect(map.get(7)).toBe(7);
  });
});
