import type { Endpoint, SimWorld } from './world.js';
import type { FaultProfile } from './options.js';

/**
 * The simulated network: every call's request and answer is a one-way message with a random
 * delay (hence reordering), maybe lost, maybe duplicated, dropped across partitions. Calls have
 * gRPC semantics: exactly one result per call — the answer, or an error at the deadline (lost
 * message, partition, peer down and waitForReady) or soon after the peer crashed mid-call.
 */
/**
 * A scripted rule on messages from one node to another (scenarios): hold them back, drop some,
 * or duplicate some (the message goes now, a second copy is held back until released).
 */
export interface MessageRule {
  from: string;
  to: string;
  /** Matches the start of a message's description, e.g. `Prepare(t1)` or `Commit`; empty: any. */
  what: string;
  action: 'hold' | 'drop' | 'dup';
  /** drop, dup: how many more to drop or duplicate (Infinity: all). */
  left: number;
}

export class SimNetwork {
  private readonly cuts = new Set<string>();
  private readonly rules: MessageRule[] = [];
  /** Messages held back by a rule, in the order they were sent. */
  private readonly held: { rule: MessageRule; deliver: () => void }[] = [];
  faultsOn = true;

  constructor(
    private readonly w: SimWorld,
    private readonly profile: () => FaultProfile,
  ) {}

  private linkKey(a: string, b: string): string {
    return a < b ? `${a}|${b}` : `${b}|${a}`;
  }

  partitioned(a: string, b: string): boolean {
    return this.cuts.size > 0 && this.cuts.has(this.linkKey(a, b));
  }

  /** Cuts the links between `a` and each of `bs` (a partition), until healed. */
  cut(pairs: [string, string][]): string[] {
    const keys = pairs.map(([a, b]) => this.linkKey(a, b));
    for (const k of keys) this.cuts.add(k);
    return keys;
  }

  heal(keys?: string[]): void {
    if (!keys) this.cuts.clear();
    else for (const k of keys) this.cuts.delete(k);
  }

  addRule(rule: MessageRule): void {
    this.rules.push(rule);
  }

  /** Ends the hold and dup rules on a link (matching `what`, or all) and delivers what they held, in order. */
  release(from: string, to: string, what = ''): void {
    const matches = (r: MessageRule): boolean => r.action !== 'drop' && r.from === from && r.to === to && r.what.startsWith(what);
    for (let i = this.rules.length - 1; i >= 0; i--) if (matches(this.rules[i]!)) this.rules.splice(i, 1);
    const go = this.held.filter((h) => matches(h.rule));
    for (const h of go) this.held.splice(this.held.indexOf(h), 1);
    for (const h of go) h.deliver();
  }

  /** Ends every rule and delivers everything held. */
  releaseAll(): void {
    this.rules.length = 0;
    for (const h of this.held.splice(0)) h.deliver();
  }

  private ruleFor(from: string, to: string, what: string): MessageRule | undefined {
    return this.rules.find((r) => r.from === from && r.to === to && what.startsWith(r.what) && r.left > 0);
  }

  /** One one-way message: maybe lost, maybe duplicated, delayed at random (reordering). */
  transmit(from: string, to: string, what: string, deliver: (copy: number) => void): void {
    const w = this.w;
    const f = this.profile();
    w.stats.messages++;
    const rule = this.rules.length > 0 ? this.ruleFor(from, to, what) : undefined;
    if (rule?.action === 'drop') {
      rule.left--;
      w.log('net', `${from}->${to} ${what} DROPPED (scripted)`);
      return;
    }
    if (rule?.action === 'hold') {
      w.log('net', `${from}->${to} ${what} HELD (scripted)`);
      this.held.push({ rule, deliver: () => w.at(w.now + w.rng.int(1, 8), () => deliver(0)) });
      return;
    }
    if (rule?.action === 'dup') {
      // This one goes on as usual; a second copy waits for `release` (a retransmission, late).
      rule.left--;
      w.stats.duplicated++;
      w.log('net', `${from}->${to} ${what} DUPLICATED, the copy HELD (scripted)`);
      this.held.push({ rule, deliver: () => w.at(w.now + w.rng.int(1, 8), () => deliver(1)) });
    }
    // A partition cuts a link whether or not random faults are on (scenarios script partitions with faults off).
    if (this.partitioned(from, to) || (this.faultsOn && w.rng.chance(f.loss))) {
      w.stats.lost++;
      w.log('net', `${from}->${to} ${what} LOST${this.partitioned(from, to) ? ' (partition)' : ''}`);
      return;
    }
    const copies = this.faultsOn && w.rng.chance(f.dup) ? 2 : 1;
    if (copies === 2) w.stats.duplicated++;
    for (let copy = 0; copy < copies; copy++) {
      const delay = this.faultsOn && w.rng.chance(f.longDelay) ? w.rng.int(20, 400) : w.rng.int(1, 8);
      w.at(w.now + delay, () => {
        if (this.partitioned(from, to)) {
          w.stats.lost++;
          w.log('net', `${from}->${to} ${what} LOST in flight (partition)`);
          return;
        }
        deliver(copy);
      });
    }
  }

  /**
   * One call. A duplicated request is served twice (as a retransmission would be), but only the
   * first answer reaches the caller, as with a real client.
   */
  rpc<R>(o: {
    from: Endpoint;
    to: Endpoint;
    deadlineMs: number;
    what: string;
    /** gRPC's waitForReady: while the peer is down the call waits for it until the deadline. */
    waitForReady: boolean;
    serve: (respond: (r: R) => void) => void;
    onReply: (r: R) => void;
    onError: (failure: 'UNAVAILABLE' | 'DEADLINE_EXCEEDED', why: string) => void;
  }): void {
    const w = this.w;
    const { from, to } = o;
    const callerInc = from.inc;
    const sentAt = w.now;
    let settled = false;
    const error = (failure: 'UNAVAILABLE' | 'DEADLINE_EXCEEDED', why: string): void => {
      if (settled) return;
      settled = true;
      w.log(from.id, `${o.what} -> ${to.id} failed: ${why}`);
      o.onError(failure, why);
    };
    w.onNode(from, callerInc, o.deadlineMs, () => error('DEADLINE_EXCEEDED', 'DEADLINE_EXCEEDED'));
    const arrive = (copy: number): void => {
      if (!to.up) {
        if (!o.waitForReady) {
          // Connection refused: the caller hears it after a round trip.
          if (copy === 0) w.onNode(from, callerInc, w.rng.int(1, 8), () => error('UNAVAILABLE', 'UNAVAILABLE (peer down)'));
          return;
        }
        // waitForReady: the channel keeps trying to connect until the deadline.
        if (w.now + 50 < sentAt + o.deadlineMs) w.at(w.now + 50, () => arrive(copy));
        return;
      }
      w.onNode(to, to.inc, 0, () => {
        const handle = w.nextHandle();
        let answered = false;
        to.inbound.set(handle, () => {
          if (copy === 0) w.onNode(from, callerInc, w.rng.int(1, 20), () => error('UNAVAILABLE', 'UNAVAILABLE (connection reset)'));
        });
        o.serve((reply: R) => {
          if (answered) return;
          answered = true;
          to.inbound.delete(handle);
          this.transmit(to.id, from.id, `${o.what} reply`, () => {
            w.onNode(from, callerInc, 0, () => {
              if (settled) return;
              settled = true;
              o.onReply(reply);
            });
          });
        });
      });
    };
    this.transmit(from.id, to.id, o.what, arrive);
  }
}
