import { EventQueue } from './eventQueue.js';
import { emptyStats, type InvariantName, type SimStats, type Violation } from './options.js';
import { Prng } from './prng.js';
import { Trace } from './trace.js';

/** A violation ends the run: thrown through whatever was running, caught by the run loop. */
export class SimFailure extends Error {}

/** Thrown out of a node's code at an armed failpoint: the scenario crashed the node there, the run goes on. */
export class NodeCrashed extends Error {
  constructor(
    readonly node: string,
    readonly at: string,
  ) {
    super(`${node} crashed at ${at}`);
  }
}

/** Anything that can crash, pause and serve calls: a node, or the clients' side. */
export interface Endpoint {
  id: string;
  up: boolean;
  /** Incarnation: bumped by a crash, so that work of an earlier life is dropped. */
  inc: number;
  pausedUntil: number;
  /** Server side of calls in progress: what to do if this endpoint crashes. */
  inbound: Map<number, () => void>;
}

/**
 * The simulated world every part of the simulator shares: one clock driven by one event queue
 * ordered by (time, sequence), one seeded PRNG, the trace, the stats and the first violation.
 */
export class SimWorld {
  now = 0;
  readonly q = new EventQueue();
  readonly stats: SimStats = emptyStats();
  violation: Violation | null = null;
  events = 0;
  private handles = 1;
  private ids = 0;

  constructor(
    readonly rng: Prng,
    readonly trace: Trace,
    /** Finds the protocol of a transaction named in a violation message. */
    private readonly protocolOf: (txn: string) => Violation['protocol'] | undefined,
  ) {}

  at(time: number, fn: () => void | Promise<void>): void {
    this.q.push(Math.max(time, this.now), fn);
  }

  /** Runs `fn` on `node` after `delay`, if it is still the same incarnation; a paused node runs it late. */
  onNode(node: Endpoint, inc: number, delay: number, fn: () => void): void {
    const wrapped = (): void => {
      if (!node.up || node.inc !== inc) return;
      if (this.now < node.pausedUntil) {
        this.q.push(node.pausedUntil, wrapped);
        return;
      }
      fn();
    };
    this.q.push(this.now + Math.max(0, delay), wrapped);
  }

  log(who: string, text: string): void {
    this.trace.add(`${String(this.now).padStart(6)} ${who.padEnd(5)} ${text}`);
  }

  fail(invariant: InvariantName, message: string): never {
    if (!this.violation) {
      const named = (message.match(/\b[tl][0-9]+\b/g) ?? []).map((id) => this.protocolOf(id)).find((p) => p !== undefined);
      this.violation = { invariant, message, atMs: this.now, ...(named ? { protocol: named } : {}) };
    }
    throw new SimFailure(message);
  }

  nextHandle(): number {
    return this.handles++;
  }

  nextId(prefix: string): string {
    return `${prefix}.${++this.ids}`;
  }

  /**
   * Let promise chains (the reshard mover's awaits over nodes) run to their next event after
   * every event, as a process's event loop would; off by default (it costs a macrotask per event).
   */
  settleBetweenEvents = false;

  /** Runs events in time order up to `deadline` (or a violation); a node's start is awaited. */
  async drain(deadline: number): Promise<void> {
    for (;;) {
      if (this.settleBetweenEvents) await new Promise<void>((r) => setImmediate(r));
      const ev = this.q.pop();
      if (!ev) break;
      if (ev.at > deadline) {
        this.q.push(ev.at, ev.run);
        break;
      }
      this.now = ev.at;
      this.events++;
      try {
        const r = ev.run();
        if (r instanceof Promise) await r;
      } catch (err) {
        if (!(err instanceof NodeCrashed)) throw err;
      }
      if (this.violation) return;
    }
    // Time passes up to the deadline even when nothing happens at its end.
    this.now = Math.max(this.now, deadline);
  }
}
