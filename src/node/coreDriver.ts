import type { Logger } from 'pino';
import type { NodeClock } from './clock.js';

/** What the runtime does for one effect; a returned event is fed back into the core. */
export type EffectResult<E> = void | E | Promise<void | E>;

/** Maps a value that storage may answer at once or later, without a promise when at once. */
export function whenReady<T, U>(value: T | Promise<T>, fn: (v: T) => U): U | Promise<U> {
  return value instanceof Promise ? value.then(fn) : fn(value);
}

/**
 * Runs a pure protocol core on real I/O: steps it with events and executes the
 * effects in order. An effect marked blocking (a forced write) completes before any
 * later effect of the same step starts: persist before send.
 */
export class CoreDriver<E extends { type: string }, F extends { type: string }> {
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly step: (event: E, now: number) => F[],
    private readonly execute: (effect: F) => EffectResult<E>,
    private readonly isBlocking: (effect: F) => boolean,
    private readonly clock: NodeClock,
    private readonly log: Logger,
  ) {}

  dispatch(event: E): void {
    if (this.stopped) return;
    let effects: F[];
    try {
      effects = this.step(event, this.clock.now());
    } catch (err) {
      this.fatal(err, `protocol core failed on ${event.type}`);
      return;
    }
    void this.run(effects);
  }

  /** Calls `fire` at wall time `at` (by this node's clock). */
  schedule(at: number, fire: () => E): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.dispatch(fire());
    }, Math.max(0, at - this.clock.now()));
    this.timers.add(t);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private async run(effects: F[]): Promise<void> {
    for (const effect of effects) {
      let result: EffectResult<E>;
      try {
        result = this.execute(effect);
      } catch (err) {
        this.fatal(err, `effect ${effect.type} failed`);
        return;
      }
      if (result instanceof Promise) {
        const settled = result.then(
          (ev) => {
            if (ev) this.dispatch(ev);
          },
          (err: unknown) => this.fatal(err, `effect ${effect.type} failed`),
        );
        if (this.isBlocking(effect)) await settled;
      } else if (result) {
        // As if it had resolved at once: the rest of this step's effects run first.
        queueMicrotask(() => this.dispatch(result));
      }
    }
  }

  /** Storage or core failure: state can no longer be trusted, so the process ends and recovers from its log. */
  private fatal(err: unknown, what: string): void {
    if (this.stopped) {
      this.log.debug({ err }, `${what} during shutdown`);
      return;
    }
    this.stopped = true;
    this.log.fatal({ err }, what);
    process.exit(70);
  }
}
