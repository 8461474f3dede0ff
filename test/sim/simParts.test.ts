import { describe, expect, it } from 'vitest';
import { SimDisk, type DiskHost } from '../../src/sim/disk.js';
import { EventQueue } from '../../src/sim/eventQueue.js';
import { Prng } from '../../src/sim/prng.js';

describe('sim building blocks', () => {
  it('Prng: same seed, same stream; ranges inclusive', () => {
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

  it('EventQueue: by time, then FIFO', () => {
    const q = new EventQueue();
    const out: string[] = [];
    q.push(5, () => out.push('b'));
    q.push(1, () => out.push('a'));
    q.push(5, () => out.push('c'));
    q.push(9, () => out.push('d'));
    for (let e = q.pop(); e; e = q.pop()) e.run();
    expect(out).toEqual(['a', 'b', 'c', 'd']);
  });

  function diskWithQueue() {
    const q = new EventQueue();
    let now = 0;
    const durableOps: string[] = [];
    const host: DiskHost = {
      schedule: (d, fn) => q.push(now + d, fn),
      latency: (sync) => (sync ? 10 : 1),
      onDurable: (ops) => durableOps.push(...ops.map((o) => o.key)),
      deliver: (fn) => fn(),
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
        e.run();
      }
    };
    return { disk: new SimDisk(host), run, durableOps };
  }

  it('SimDisk: a synced batch makes everything before it durable; a crash loses the unsynced tail', () => {
    const { disk, run, durableOps } = diskWithQueue();
    const done: string[] = [];
    disk.append([{ type: 'put', key: 'a', value: '1' }], false, () => done.push('a'), null);
    run(5);
    expect(disk.get('a')).toBe('1');
    expect(disk.durable.has('a')).toBe(false);
    disk.append([{ type: 'put', key: 'b', value: '1' }], true, () => done.push('b'), () => done.push('b-after'));
    run(100);
    expect(done).toEqual(['a', 'b', 'b-after']);
    expect([...disk.durable.keys()].sort()).toEqual(['a', 'b']);
    expect(durableOps).toEqual(['a', 'b']);
    disk.append([{ type: 'put', key: 'c', value: '1' }], false, null, null);
    run(200);
    expect(disk.get('c')).toBe('1');
    disk.crash((lo) => lo); // keep nothing unsynced
    expect(disk.get('c')).toBeUndefined();
    expect(disk.get('b')).toBe('1');
  });

  it('SimDisk: appends during a write are grouped, synced if any asks', () => {
    const { disk, run } = diskWithQueue();
    const order: string[] = [];
    disk.append([{ type: 'put', key: 'x', value: '1' }], false, () => order.push('x'), null);
    disk.append([{ type: 'put', key: 'y', value: '1' }], false, () => order.push('y'), () => order.push('y-after'));
    disk.append([{ type: 'put', key: 'z', value: '1' }], true, () => order.push('z'), () => order.push('z-after'));
    run(1000);
    expect(order).toEqual(['x', 'y', 'z', 'y-after', 'z-after']);
    expect(disk.stats.batches).toBe(2);
    expect(disk.durable.has('x')).toBe(true);
  });
});
