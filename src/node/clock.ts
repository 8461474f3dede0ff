/**
 * A node's clock. Protocol cores never read time themselves: the runtime passes
 * `now()` in with every event, so a skew can be injected here and a simulator can
 * drive time on its own.
 */
export class NodeClock {
  constructor(public offsetMs = 0) {}

  now(): number {
    return Date.now() + this.offsetMs;
  }
}
