import type { RuntimeClock } from '../runtime/env.js';

/**
 * A node's clock. Protocol cores never read time themselves: the runtime passes `now()` in
 * with every event, so a skew can be injected here (Admin.SetClockOffset) and a simulator can
 * drive time on its own.
 */
export class NodeClock implements RuntimeClock {
  constructor(public offsetMs = 0) {}

  now(): number {
    return Date.now() + this.offsetMs;
  }

  after(ms: number, fn: () => void): () => void {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  }
}
