import type { RuntimeEnv } from './env.js';

/** A pure protocol core: events in, effects out; `takeEnded` lists the transactions it forgot since the last call. */
export interface ProtocolCore<E, F> {
  step(event: E, now: number): F[];
  takeEnded?(): string[];
}

export interface EffectExecutor<E, F> {
  /**
   * Carries out one effect and calls `done` once when it completed, with an event to feed
   * back if there is one. `done` may run before `execute` returns (a memory hit).
   */
  execute(effect: F, done: (event?: E) => void): void;
  /** A blocking effect (a forced write) completes before any later effect of the same step starts. */
  isBlocking(effect: F): boolean;
}

/**
 * Runs a pure protocol core: steps it with events and carries out its effects in order,
 * persist before send — an effect marked blocking completes (and its event is fed back)
 * before any later effect of the same step starts. A completion that comes at once is fed
 * back after the step, as if it had come a moment later, so that a step's effects keep their
 * order. The same driver runs in nodes and in the simulator.
 */
export class CoreDriver<E extends { type: string }, F extends { type: string }> {
  private stopped = false;

  constructor(
    private readonly core: ProtocolCore<E, F>,
    private readonly executor: EffectExecutor<E, F>,
    private readonly env: Pick<RuntimeEnv, 'clock' | 'defer' | 'fatal'>,
    /** Called with the transactions the core forgot (their timers go). */
    private readonly onEnded: (txn: string) => void = () => undefined,
    /** Sees every step (the simulator's trace). */
    private readonly observe?: (event: E, effects: F[]) => void,
  ) {}

  dispatch(event: E): void {
    if (this.stopped) return;
    let effects: F[];
    try {
      effects = this.core.step(event, this.env.clock.now());
      this.observe?.(event, effects);
      const ended = this.core.takeEnded?.();
      if (ended) for (const txn of ended) this.onEnded(txn);
    } catch (err) {
      this.fail(err, `protocol core failed on ${event.type}`);
      return;
    }
    this.run(effects, 0);
  }

  stop(): void {
    this.stopped = true;
  }

  private run(effects: F[], from: number): void {
    for (let i = from; i < effects.length; i++) {
      if (this.stopped) return;
      const effect = effects[i]!;
      const blocking = this.executor.isBlocking(effect);
      let executing = true;
      let early: { event?: E } | null = null;
      const done = (event?: E): void => {
        if (this.stopped) return;
        if (executing) {
          early = event ? { event } : {};
          return;
        }
        if (event) this.dispatch(event);
        if (blocking) this.run(effects, i + 1);
      };
      try {
        this.executor.execute(effect, done);
      } catch (err) {
        this.fail(err, `effect ${effect.type} failed`);
        return;
      }
      executing = false;
      if (early) {
        const { event } = early as { event?: E };
        if (blocking) {
          this.env.defer(() => {
            if (event) this.dispatch(event);
            this.run(effects, i + 1);
          });
          return;
        }
        if (event) this.env.defer(() => this.dispatch(event));
        continue;
      }
      if (blocking) return;
    }
  }

  /** Storage or core failure: state can no longer be trusted, so the node ends and recovers from its log. */
  private fail(err: unknown, what: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.env.fatal(err, what);
  }
}
