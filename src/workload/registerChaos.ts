import type { DtxClient } from '../client/dtxClient.js';
import type { ChaosWorkload, CheckResult } from './checks.js';
import type { History } from './history.js';
import { checkIsolation, type IsolationReport } from './isolation/checkIsolation.js';
import type { IsoTxn, TxnStatus } from './isolation/types.js';
import { isolationVerdicts } from './isolation/verdicts.js';
import { planOps, registerTxns, resultsOf, type PlannedMop, type RegisterValue } from './registerHistory.js';

export interface RegisterOptions {
  /** How many registers (keys); few keys, much contention. */
  keys: number;
  /** Keys per transaction, at most (at least 2: a transaction spans participants). */
  maxKeysPerTxn: number;
  /** The branches that only read leave no record (2pc's unforced READ_ONLY vote): the log checks then look for the written keys only. */
  readOnlyBranchesUnlogged: boolean;
}

const registerKey = (i: number) => `reg:${String(i).padStart(3, '0')}`;

/** What to do with one key: read it, write it, read then write it, or rarely write it twice (an intermediate write) or write then read it. */
function planKey(key: string, random: () => number, value: () => string): PlannedMop[] {
  const x = random();
  if (x < 0.35) return [{ f: 'r', key }];
  if (x < 0.6) return [{ f: 'w', key, value: value() }];
  if (x < 0.94)
    return [
      { f: 'r', key },
      { f: 'w', key, value: value() },
    ];
  if (x < 0.97)
    return [
      { f: 'w', key, value: value() },
      { f: 'w', key, value: value() },
    ];
  return [
    { f: 'w', key, value: value() },
    { f: 'r', key },
  ];
}

/** A transaction over 2..max distinct random keys. */
function planTxn(o: RegisterOptions, random: () => number, txnId: string): PlannedMop[] {
  const n = 2 + Math.floor(random() * (Math.min(o.maxKeysPerTxn, o.keys) - 1));
  const picked = new Set<number>();
  for (let i = 0; i < 100 && picked.size < n; i++) picked.add(Math.floor(random() * o.keys));
  let w = 0;
  const value = () => `${txnId}.${w++}`;
  return [...picked].flatMap((k) => planKey(registerKey(k), random, value));
}

/** What became of the transactions whose outcome the client never heard: asked again (bounded), with their results when the coordinator has them. */
async function resolveLate(client: DtxClient, history: History, f: string): Promise<Map<string, { status: TxnStatus; results?: RegisterValue['results'] }>> {
  const out = new Map<string, { status: TxnStatus; results?: RegisterValue['results'] }>();
  const plans = new Map<string, number>();
  for (const e of history.entries) if (e.f === f && e.type === 'invoke' && e.txnId) plans.set(e.txnId, (e.value as RegisterValue).mops.length);
  const unknown = history.entries.filter((e) => e.f === f && e.type === 'info' && e.txnId).map((e) => e.txnId!);
  const deadline = Date.now() + 30_000;
  for (const id of unknown.slice(0, 2000)) {
    if (Date.now() > deadline) break;
    const g = await client.getTransaction(id).catch(() => null);
    if (g?.outcome === 'COMMITTED') out.set(id, { status: 'ok', results: resultsOf(g.results, plans.get(id) ?? -1) });
    else if (g?.outcome === 'ABORTED') out.set(id, { status: 'fail' });
  }
  return out;
}

/**
 * A read-write register workload for the isolation checker (Elle's rw-register): each
 * transaction reads and writes 2..4 random keys — spread over the participants — with values
 * unique in the history, so every read names the write it saw, and the store's per-key versions
 * give the writes' order. After the run, a final read of every key joins the history; the
 * checker builds the dependency graph and reports every anomaly strict serializability forbids.
 */
export function registerWorkload(o: RegisterOptions): ChaosWorkload & { isolation(): IsolationReport | null } {
  const keys = Array.from({ length: o.keys }, (_, i) => registerKey(i));
  const f = 'txn';
  let seq = 0;
  let report: IsolationReport | null = null;
  return {
    name: 'register',
    setup: () => Promise.resolve(),
    async step(client, process, random, history) {
      const txnId = `reg-${process}-${seq++}`;
      const mops = planTxn(o, random, txnId);
      history.add({ process, type: 'invoke', f, txnId, value: { mops } satisfies RegisterValue });
      try {
        const r = await client.transact(planOps(mops), { txnId, timeoutMs: 3000 });
        const type = r.outcome === 'COMMITTED' ? 'ok' : r.outcome === 'ABORTED' ? 'fail' : 'info';
        const results = type === 'ok' ? resultsOf(r.results, mops.length) : undefined;
        history.add({
          process,
          type,
          f,
          txnId,
          value: { mops, ...(results ? { results } : {}) } satisfies RegisterValue,
          ...(r.reason ? { error: r.reason } : {}),
        });
      } catch (err) {
        history.add({ process, type: 'info', f, txnId, value: { mops } satisfies RegisterValue, error: (err as Error).message });
      }
    },
    // Where a branch that only reads logs nothing (2pc's READ_ONLY vote), only the written keys
    // must be found in the logs; elsewhere (3pc, nb) every branch forces its vote.
    keysOf(e) {
      if (e.f !== f) return null;
      const mops = (e.value as RegisterValue).mops;
      const keys = [...new Set(mops.filter((m) => m.f === 'w' || !o.readOnlyBranchesUnlogged).map((m) => m.key))];
      return keys.length > 0 ? keys : null;
    },
    async check(client: DtxClient, history: History): Promise<CheckResult[]> {
      const late = await resolveLate(client, history, f);
      const txns = registerTxns(history.entries, f, late);
      // The healed cluster's state, read last: it must see every key's newest version.
      const at = history.add({ process: -1, type: 'invoke', f: 'final-read' }).time;
      const final = await client.read(keys, 10_000);
      const done = history.add({
        process: -1,
        type: 'ok',
        f: 'final-read',
        value: Object.fromEntries(final.map((x) => [x.key, [x.found ? x.value : null, x.version]])),
      });
      const finalTxn: IsoTxn = {
        id: 'final-read',
        process: -1,
        status: 'ok',
        invokedAt: at,
        completedAt: done.time,
        mops: final.map((x) => ({ f: 'r', key: x.key, value: x.found ? x.value : null, version: x.version })),
      };
      report = checkIsolation([...txns, finalTxn]);
      return isolationVerdicts(report);
    },
    isolation: () => report,
  };
}
