import type { Logger } from 'pino';
import { IN_DOUBT_PHASES, type TxnView } from '../protocol/txnView.js';
import type { TransactionView } from '../rpc/generated/dtx/v1/TransactionView.js';

export interface AlertOptions {
  /** A transaction in doubt this long raises an alert (then again after 2x, 4x, … of it, at most hourly). */
  afterMs: number;
  /** POSTed a JSON body with the transaction's inspect view; null: log and counters only. */
  webhook: string | null;
}

export const DEFAULT_ALERT_AFTER_MS = 30_000;
const MAX_BACKOFF_MS = 3_600_000;
/** Transactions followed at once; beyond, the oldest are followed and the rest counted. */
const MAX_TRACKED = 10_000;
const MAX_POSTS_IN_FLIGHT = 4;
const POST_TIMEOUT_MS = 5_000;

/** What this node counts as stuck: a participant's YES without a decision, a coordinator's undelivered commit. */
function stuck(role: 'coordinator' | 'participant', v: TxnView): boolean {
  return role === 'participant' ? IN_DOUBT_PHASES.has(v.phase) : v.phase === 'committed' || v.phase === 'undelivered';
}

/**
 * Alerts on transactions stuck past a threshold: a warn log line, counters (Status, metrics)
 * and an optional webhook, once per transaction on this node, then again with doubling backoff
 * while it stays stuck. Every node alerts for what it holds (a receiver dedupes by txn id), so
 * an alert does not depend on any one node being up.
 */
export class InDoubtAlerts {
  readonly counters = { alertsRaised: 0, alertsDelivered: 0, alertDeliveryFailures: 0, stuckPastThreshold: 0 };
  private readonly followed = new Map<string, { count: number; nextAtMs: number }>();
  private postsInFlight = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly o: {
      nodeId: string;
      role: 'coordinator' | 'participant';
      alerts: AlertOptions;
      views: () => TxnView[];
      inspect: (txn: string) => Promise<TransactionView>;
      log: Logger;
      now: () => number;
    },
  ) {}

  start(everyMs = Math.min(1000, Math.max(100, Math.floor(this.o.alerts.afterMs / 4)))): void {
    this.timer = setInterval(() => this.tick(), everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  tick(): void {
    const now = this.o.now();
    const over = this.o.views().filter((v) => stuck(this.o.role, v) && v.startedAtMs !== null && now - v.startedAtMs >= this.o.alerts.afterMs);
    this.counters.stuckPastThreshold = over.length;
    const still = new Set(over.map((v) => v.txn));
    for (const txn of [...this.followed.keys()]) {
      if (!still.has(txn)) {
        this.followed.delete(txn);
        this.o.log.info({ txn }, 'alerted transaction is no longer stuck here');
      }
    }
    for (const v of over) {
      let f = this.followed.get(v.txn);
      if (!f) {
        if (this.followed.size >= MAX_TRACKED) continue;
        this.followed.set(v.txn, (f = { count: 0, nextAtMs: now }));
      }
      if (now < f.nextAtMs) continue;
      f.count++;
      f.nextAtMs = now + Math.min(this.o.alerts.afterMs * 2 ** f.count, MAX_BACKOFF_MS);
      this.raise(v, now - v.startedAtMs!, f.count, now);
    }
  }

  private raise(v: TxnView, ageMs: number, count: number, atMs: number): void {
    this.counters.alertsRaised++;
    this.o.log.warn(
      { txn: v.txn, phase: v.phase, ageMs, alert: count, waitsFor: v.waitsFor, blockedBy: v.blockedBy },
      `transaction stuck for ${Math.round(ageMs / 1000)}s`,
    );
    const url = this.o.alerts.webhook;
    if (!url) return;
    if (this.postsInFlight >= MAX_POSTS_IN_FLIGHT) {
      this.counters.alertDeliveryFailures++;
      return;
    }
    this.postsInFlight++;
    void this.o
      .inspect(v.txn)
      .then((view) =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ kind: 'dtx.txn.stuck', node: this.o.nodeId, role: this.o.role, txn: v.txn, atMs, ageMs, alert: count, view }),
          signal: AbortSignal.timeout(POST_TIMEOUT_MS),
        }),
      )
      .then((res) => {
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        this.counters.alertsDelivered++;
      })
      .catch((e: Error) => {
        this.counters.alertDeliveryFailures++;
        this.o.log.warn({ txn: v.txn, webhook: url, err: e.message }, 'alert webhook failed (tried again at the next alert)');
      })
      .finally(() => this.postsInFlight--);
  }
}
