import { describe, expect, it } from 'vitest';
import { SimEngine, type EngineHost } from '../../src/sim/simEngine.js';
import { GroupCommitWriter } from '../../src/storage/groupCommit.js';
import { EventQueue } from '../../src/sim/eventQueue.js';
import { Prng } from '../../src/sim/prng.js';

describe('sim building blocks', () => {
  it('Prng: same seed, same stream; ranges inclusive', async () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const xs = Array.from({ length: 100 }, () => a.u32());
    expect(Array.from({ length: 100 }, () => b.u32())).toEqual(xs);
    expect(new Prng(43).u32()).not.toBe(xs[0]);
    const r = new Prng(1);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(r.int(1, 3));
    expect([...seen].sort()).toEqual([1, 2, 3]);
  });

  it('EventQueue: by time, then FIFO', async () => {
    const q = new EventQueue();
    const out: string[] = [];
    q.push(5, () => void out.push('b'));
    q.push(1, () => void out.push('a'));
    q.push(5, () => void out.push('c'));
    q.push(9, () => void out.push('d'));
    for (let e = q.pop(); e; e = q.pop()) void e.run();
    expect(out).toEqual(['a', 'b', 'c', 'd']);
  });

  function engineWithQueue() {
    const q = new EventQueue();
    let now = 0;
    const durableOps: string[] = [];
    const host: EngineHost = {
      later: (d, fn) => q.push(now + d, fn),
      writeLatency: (sync) => (sync ? 10 : 1),
      readLatency: () => 3,
      onDurable: (ops) => durableOps.push(...ops.map((o) => o.key)),
    };
    const run = (until: number) => {
      for (;;) {
        const e = q.pop();
        if (!e) return;
        if (e.at > until) {
          q.push(e.at, e.run);
          return;
        }
        now = e.at;
        void e.run();
      }
    };
    const clock = {
      now: () => now,
      after: (ms: number, fn: () => void) => {
        let live = true;
        q.push(now + ms, () => {
          if (live) fn();
        });
        return () => {
          live = false;
        };
      },
    };
    return { engine: new SimEngine(host), run, durableOps, clock };
  }

  it('SimEngine: a synced write makes everything before it durable; a crash loses the unsynced tail', () => {
    const { engine, run, durableOps } = engineWithQueue();
    const done: string[] = [];
    engine.write([{ type: 'put', key: 'a', value: '1' }], false, () => done.push('a'));
    run(5);
    expect(engine.visible.get('a')).toBe('1');
    expect(engine.durable.has('a')).toBe(false);
    engine.write([{ type: 'put', key: 'b', value: '1' }], true, () => done.push('b'));
    run(100);
    expect(done).toEqual(['a', 'b']);
    expect([...engine.durable.keys()].sort()).toEqual(['a', 'b']);
    expect(durableOps).toEqual(['a', 'b']);
    engine.write([{ type: 'put', key: 'c', value: '1' }], false, () => undefined);
    run(200);
    expect(engine.visible.get('c')).toBe('1');
    engine.crash((lo) => lo); // keep nothing unsynced
    expect(engine.visible.get('c')).toBeUndefined();
    expect(engine.visible.get('b')).toBe('1');
  });

  it('SimEngine: a read sees the state when it was issued and answers later; a crash drops it', () => {
    const { engine, run } = engineWithQueue();
    engine.preload([{ type: 'put', key: 'k', value: 'old' }]);
    const seen: (string | undefined)[] = [];
    engine.getMany(['k'], (_e, v) => seen.push(v[0]));
    engine.write([{ type: 'put', key: 'k', value: 'new' }], true, () => undefined);
    run(2);
    expect(seen).toEqual([]);
    run(100);
    expect(seen).toEqual(['old']);
    engine.getMany(['k'], (_e, v) => seen.push(v[0]));
    engine.crash((lo) => lo);
    run(200);
    expect(seen).toEqual(['old']);
  });

  it('the real group-commit writer over the simulated engine: appends during a write are grouped, synced if any asks', () => {
    const { engine, run, clock } = engineWithQueue();
    const w = new GroupCommitWriter(engine, clock);
    const order: string[] = [];
    w.append([{ type: 'put', key: 'x', value: '1' }], false, 0, () => order.push('x'));
    w.append([{ type: 'put', key: 'y', value: '1' }], false, 0, () => order.push('y'));
    w.append([{ type: 'put', key: 'z', value: '1' }], true, 0, () => order.push('z'));
    run(1000);
    expect(order).toEqual(['x', 'y', 'z']);
    expect(w.stats.batches).toBe(2);
    expect(w.stats.syncedBatches).toBe(1);
    expect(engine.durable.has('x')).toBe(true);
  });

  it('a lingering append waits in simulated time for company', () => {
    const { engine, run, clock } = engineWithQueue();
    const w = new GroupCommitWriter(engine, clock);
    const order: string[] = [];
    w.append([{ type: 'put', key: 'commit', value: '1' }], true, 5, () => order.push('commit'));
    run(3);
    expect(w.stats.batches).toBe(0);
    w.append([{ type: 'put', key: 'prepare', value: '1' }], true, 0, () => order.push('prepare'));
    run(100);
    expect(order).toEqual(['commit', 'prepare']);
    expect(w.stats).toMatchObject({ batches: 1, records: 2, lingered: 1 });
  });
});
