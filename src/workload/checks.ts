import type { DtxClient } from '../client/dtxClient.js';
import type { History, HistoryEntry } from './history.js';
import type { IsolationReport } from './isolation/checkIsolation.js';

/** One row of a verdict table. */
export interface CheckResult {
  name: string;
  /** No violation found and, unless the check is optional for the run, something was looked at (see settleUnmeasured). */
  ok: boolean;
  detail: string;
  /** A stable key: reports single checks out by it (e.g. 'atomicity'), workloads declare optional ones by it. */
  id?: string;
  /**
   * False when the check had nothing to look at (no read succeeded, no multi-participant commit, no
   * grant): its "no violation" proves nothing. Shown as "not measured"; absent means measured.
   */
  measured?: boolean;
  /** Set by settleUnmeasured on an unmeasured check the workload declared optional (it then passes). */
  optional?: boolean;
}

export type Verdict = 'pass' | 'FAIL' | 'not measured' | 'not measured (optional)';

/** What a verdict table shows for a check. */
export function verdictOf(c: CheckResult): Verdict {
  if (c.measured === false) return c.optional ? 'not measured (optional)' : 'not measured';
  return c.ok ? 'pass' : 'FAIL';
}

/**
 * No vacuous pass: a check that found no violation but had nothing to look at fails the run,
 * unless its id is among `optional` (declared per workload, with the reason, in runChaos).
 */
export function settleUnmeasured(checks: readonly CheckResult[], optional: ReadonlySet<string>): CheckResult[] {
  return checks.map((c) => {
    if (c.measured !== false || !c.ok) return c;
    const isOptional = c.id !== undefined && optional.has(c.id);
    return { ...c, ok: isOptional, ...(isOptional ? { optional: true } : {}) };
  });
}

/** A workload the chaos runner drives from several clients and then checks. */
export interface ChaosWorkload {
  name: string;
  setup(client: DtxClient): Promise<void>;
  /** One client operation, recorded in the history (invoke, then ok / fail / info). */
  step(client: DtxClient, process: number, random: () => number, history: History): Promise<void>;
  /** Checks over the history and the healed cluster's final state. */
  check(client: DtxClient, history: History, committed: ReadonlySet<string>): Promise<CheckResult[]>;
  /**
   * The keys a transaction of the history (its invoke entry) touches: they tell which
   * participants it had, so that the log checks can tell its participants' outcomes from the
   * ABORT that a node which never saw it records when asked about it.
   */
  keysOf?(invoke: HistoryEntry): string[] | null;
  /** The isolation checker's findings (the register workload), after check. */
  isolation?(): IsolationReport | null;
}

/** Runs a transaction op and records it: COMMITTED → ok, ABORTED → fail, a broken call → info (unknown). */
export async function recordTxn(
  history: History,
  process: number,
  f: string,
  txnId: string,
  value: unknown,
  run: () => Promise<{ outcome: string; reason: string }>,
): Promise<'ok' | 'fail' | 'info'> {
  history.add({ process, type: 'invoke', f, txnId, value });
  try {
    const r = await run();
    const type = r.outcome === 'COMMITTED' ? 'ok' : r.outcome === 'ABORTED' ? 'fail' : 'info';
    history.add({ process, type, f, txnId, value, ...(r.reason ? { error: r.reason } : {}) });
    return type;
  } catch (err) {
    history.add({ process, type: 'info', f, txnId, value, error: (err as Error).message });
    return 'info';
  }
}

/** Asks the coordinator for every unknown outcome (after healing): never guessed. */
export async function resolveUnknown(client: DtxClient, history: History): Promise<{ committed: Set<string>; unresolved: string[] }> {
  const committed = new Set<string>();
  const unresolved: string[] = [];
  const done = new Map<string, string>();
  for (const e of history.entries) if (e.txnId && e.type !== 'invoke') done.set(e.txnId, e.type);
  for (const [txnId, type] of done) {
    if (type === 'ok') committed.add(txnId);
    if (type !== 'info') continue;
    try {
      const g = await client.getTransaction(txnId);
      if (g.outcome === 'COMMITTED') committed.add(txnId);
      else if (g.outcome === 'PENDING') unresolved.push(txnId);
    } catch {
      unresolved.push(txnId);
    }
  }
  return { committed, unresolved };
}
