import { DEFAULT_PROTOCOL, rulesOf } from '../protocol/protocols/index.js';
import { join } from 'node:path';
import { LatencyHistogram } from '../bench/histogram.js';
import { DtxClient } from '../client/dtxClient.js';
import { ClientHedge, HedgingClient } from './hedge.js';
import { LocalCluster } from '../cluster/localCluster.js';
import type { ProtocolName } from '../protocol/types.js';
import { adminClient, call, participantClient } from '../rpc/clients.js';
import { txnStateFromWire } from '../rpc/convert.js';
import type { TxnStateResponse__Output } from '../rpc/generated/dtx/v1/TxnStateResponse.js';
import type { StatusResponse__Output } from '../rpc/generated/dtx/v1/StatusResponse.js';
import { prng } from '../workload/bank.js';
import { bankWorkload } from '../workload/bankChaos.js';
import { cartWorkload } from '../workload/cart.js';
import { lockWorkload } from '../workload/lockChaos.js';
import type { IsolationReport } from '../workload/isolation/checkIsolation.js';
import { registerWorkload } from '../workload/registerChaos.js';
import { resolveUnknown, settleUnmeasured, type ChaosWorkload, type CheckResult } from '../workload/checks.js';
import { commitLatenciesMs, History, type HistoryEntry } from '../workload/history.js';
import { ATOMICITY, checkLogs, checkPlacement, participantDirs, type ParticipantDir } from '../workload/logCheck.js';
import {
  alignCoordinatorFlags,
  nemesisSchedule,
  POWER_NEMESES,
  ReshardNemesis,
  type NemesisKind,
  type NemesisStep,
  type ReshardAction,
  type ReshardSummary,
} from './nemesis.js';

export interface ChaosOptions {
  workload: WorkloadName;
  nemeses: NemesisKind[];
  durationMs: number;
  seed: number;
  concurrency: number;
  participants: number;
  /** Coordinators c1..cN (default 1); each client spreads its calls over all of them and fails over. */
  coordinators?: number;
  /** The cluster's default commit protocol (every workload transaction uses it). */
  protocol?: ProtocolName;
  /** Where the history and the cluster's data go; a temp dir (kept) when omitted. */
  outDir?: string;
  /** Extra environment per node (planted bugs in tests). */
  nodeEnv?: Record<string, Record<string, string>>;
  quiesceTimeoutMs?: number;
  /**
   * While the coordinator is down, how long after the kill the participants' in-doubt
   * transactions start being counted: termination gets this long to act. Default 4000
   * (a YES voter asks the coordinator after 500 ms; that call fails within its 3 s deadline,
   * then termination runs).
   */
  blockedGraceMs?: number;
  onProgress?: (p: ChaosProgress) => void;
  /**
   * Opening balances and stock small enough that transfers and checkouts run into their min-0
   * bound within seconds (bank: 5 per account; cart: stock 6, wallets 100): what the
   * "never below 0" checks need to look at something that could go wrong.
   */
  scarce?: boolean;
  /** With the reshard nemesis: how long a membership change may run before it counts as hung (default RESHARD_ACTION_BOUND_MS, 60 s). */
  reshardBoundMs?: number;
  /** The register workload's keys (default 16): fewer keys, more transactions on the same ones at once. */
  registerKeys?: number;
}

export interface ChaosProgress {
  elapsedMs: number;
  durationMs: number;
  ok: number;
  fail: number;
  info: number;
  fault: string;
}

/** What the participants held in doubt during one outage of the coordinator. */
export interface CoordinatorOutage {
  /** When c1 was killed, ms from the start of the workload. */
  atMs: number;
  downMs: number;
  /** Status polls of every participant after the grace period (0: the outage was too short). */
  polls: number;
  /** The most distinct transactions in doubt at any poll after the grace period. */
  max: number;
  /** Distinct transactions in doubt at the last poll before c1 restarted. */
  last: number;
  /** Up to 10 of those, as participant:txn. */
  lastTxns: string[];
  /** Participants that did not answer a poll. */
  errors: string[];
}

export interface ChaosReport {
  ok: boolean;
  checks: CheckResult[];
  /** The atomicity check (from the nodes' logs) on its own: held or violated. */
  atomicity: { ok: boolean; detail: string } | null;
  protocol: ProtocolName;
  workload: WorkloadName;
  nemeses: NemesisKind[];
  seed: number;
  durationMs: number;
  historyPath: string;
  dataDir: string;
  /** Every node's log (pino JSON lines), `<name>.log`. */
  logsDir: string;
  ops: { ok: number; fail: number; info: number };
  faults: string[];
  /**
   * Transactions left blocked by the coordinator's death: the distinct transactions the
   * participants still held in doubt (voted YES, no decision) at the last poll before c1
   * came back, the largest over the run's coordinator outages. Null when no outage was long
   * enough to measure (no kill of c1 outlasting the grace period).
   */
  blockedWhileCoordinatorDown: number | null;
  coordinatorOutages: CoordinatorOutage[];
  /** What the reshard nemesis did (null when it was not on): its membership changes, also listed in `faults`. */
  reshard: ReshardSummary | null;
  /** Latency of the committed transactions, invoke → COMMITTED, in ms (faults included). */
  commitLatency: { count: number; mean: number; p50: number; p99: number; max: number };
  /** The register workload's isolation findings: every anomaly with its transactions and edges (null for the other workloads). */
  isolation: IsolationReport | null;
}

function firstLine(err: Error): string {
  return (err.message ?? String(err)).split('\n')[0]!;
}

export const WORKLOADS = ['bank', 'cart', 'lock', 'register'] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

/**
 * The checks each workload may leave unmeasured (see settleUnmeasured); any other check with
 * nothing to look at fails the run. Why each is optional:
 * - recovered: it judges the restarts the nemesis made; a run without faults (a planted-bug run,
 *   or a schedule too short for a step) restarts nothing, and that is the run's choice;
 * - unknown-resolved: only a call the faults broke leaves an unknown outcome; a run whose faults
 *   broke no call has nothing to resolve;
 * - single-owner: with one coordinator no id can be run by two;
 * - lock, atomicity: a lock write is a one-key fenced put, one participant: no transaction of
 *   the lock workload can be split, so atomicity has nothing to look at there.
 */
const COMMON_OPTIONAL = ['recovered', 'unknown-resolved', 'single-owner'] as const;
export const OPTIONAL_CHECKS: Record<WorkloadName, ReadonlySet<string>> = {
  bank: new Set(COMMON_OPTIONAL),
  cart: new Set(COMMON_OPTIONAL),
  lock: new Set([...COMMON_OPTIONAL, ATOMICITY]),
  register: new Set(COMMON_OPTIONAL),
};

function makeWorkload(name: WorkloadName, protocol: ProtocolName, scarce = false, registerKeys = 16): ChaosWorkload {
  switch (name) {
    case 'bank':
      return bankWorkload({ accounts: 40, initial: scarce ? 5n : 1000n, prefix: 'acct' });
    case 'cart':
      return cartWorkload({ skus: 12, users: 24, stock: scarce ? 6n : 200n, wallet: scarce ? 100n : 2000n });
    case 'lock':
      return lockWorkload({ locks: 3, ttlMs: 1500 });
    case 'register':
      return registerWorkload({ keys: registerKeys, maxKeysPerTxn: 4, readOnlyBranchesUnlogged: rulesOf(protocol).readOnlyVoteIsUnforced });
  }
}

/** Null when every node is idle; otherwise what keeps which node busy. */
async function busy(cluster: LocalCluster): Promise<string | null> {
  for (const n of cluster.nodes.values()) {
    const c = adminClient(n.address);
    try {
      const s = await call<object, StatusResponse__Output>(c.Status.bind(c), {}, 2000, true);
      const counter = (name: string) => Number(s.counters.find((x) => x.name === name)?.value ?? 0);
      if (s.inDoubt.length > 0 || counter('activeTxns') > 0 || counter('lockedKeys') > 0) {
        return `${n.spec.name}: in-doubt ${s.inDoubt.slice(0, 3).join(',') || 0}, active ${counter('activeTxns')}, locked keys ${counter('lockedKeys')}`;
      }
    } catch (err) {
      return `${n.spec.name}: ${(err as Error).message}`;
    } finally {
      c.close();
    }
  }
  return null;
}

/**
 * Why the cluster is still busy after healing, for the liveness verdict: every busy node's
 * inquiry and termination counters twice, 6 s apart (are its in-doubt transactions still
 * asking?), and what the coordinator says about a few of them.
 */
async function diagnoseBusy(cluster: LocalCluster, client: DtxClient, history: History): Promise<string> {
  const snapshot = async () => {
    const out = new Map<string, { inDoubt: string[]; counters: Map<string, number> }>();
    for (const n of cluster.nodes.values()) {
      const a = adminClient(n.address);
      try {
        const s = await call<object, StatusResponse__Output>(a.Status.bind(a), {}, 2000, true);
        out.set(n.spec.name, { inDoubt: s.inDoubt, counters: new Map(s.counters.map((x) => [x.name, Number(x.value)])) });
      } catch {
        // unreachable: left out
      } finally {
        a.close();
      }
    }
    return out;
  };
  const before = await snapshot();
  // Longer than a participant's longest inquiry back-off (5 s): a live one asks at least once.
  await new Promise((r) => setTimeout(r, 6000));
  const after = await snapshot();
  const parts: string[] = [];
  const watched = ['inquiries', 'terminations', 'activeTxns', 'lockedKeys', 'lockWaits'];
  for (const [name, a] of after) {
    const b = before.get(name);
    const busyNow = a.inDoubt.length > 0 || (a.counters.get('activeTxns') ?? 0) > 0;
    if (!busyNow) continue;
    const counters = watched
      .filter((k) => a.counters.has(k))
      .map((k) => `${k} ${b?.counters.get(k) ?? '?'}→${a.counters.get(k)}`)
      .join(', ');
    const asked: string[] = [];
    for (const txn of a.inDoubt.slice(0, 3)) {
      const g = await client.getTransaction(txn).then(
        (r) => r.outcome,
        (err: Error) => `error ${firstLine(err)}`,
      );
      asked.push(`${txn}: c1 says ${g}`);
    }
    const open = cluster.node(name).spec.role === 'participant' ? await unfinishedOn(cluster, name, history) : [];
    parts.push(`${name} over 6 s: ${counters}${asked.length ? `; ${asked.join(', ')}` : ''}${open.length ? `; not finished there: ${open.join(', ')}` : ''}`);
  }
  return parts.join(' | ');
}

/**
 * Transactions a participant still has open, among those the history names (its own ids and
 * the lock holders named in conflict errors, the latest 300), with their state there; at
 * most 8, and no more than 5 s of asking.
 */
async function unfinishedOn(cluster: LocalCluster, name: string, history: History): Promise<string[]> {
  const ids = new Set<string>();
  for (const e of history.entries) {
    if (e.txnId) ids.add(e.txnId);
    const holder = /held by an older transaction (\S+)/.exec(e.error ?? '')?.[1];
    if (holder) ids.add(holder);
  }
  const p = participantClient(cluster.node(name).address);
  const open: string[] = [];
  const deadline = Date.now() + 5000;
  try {
    for (const txnId of [...ids].slice(-300)) {
      if (Date.now() > deadline) break;
      const r = await call<{ txnId: string; abortIfUnvoted: boolean }, TxnStateResponse__Output>(
        p.GetTxnState.bind(p),
        { txnId, abortIfUnvoted: false },
        1000,
      ).catch(() => null);
      const state = r ? txnStateFromWire(r.state) : 'no answer';
      if (state !== 'UNKNOWN' && state !== 'COMMITTED' && state !== 'ABORTED') open.push(`${txnId}=${state}`);
      if (open.length >= 8) break;
    }
  } finally {
    p.close();
  }
  return open;
}

/** The latest entry of one client process. */
function lastOf(history: History, process: number): HistoryEntry | undefined {
  for (let i = history.entries.length - 1; i >= 0; i--) if (history.entries[i]!.process === process) return history.entries[i];
  return undefined;
}

/** Distinct transactions each reachable participant holds in doubt, as participant:txn. */
async function inDoubtNow(cluster: LocalCluster, timeoutMs: number): Promise<{ txns: Map<string, string[]>; errors: string[] }> {
  const txns = new Map<string, string[]>();
  const errors: string[] = [];
  await Promise.all(
    cluster.participantNames.map(async (name) => {
      const n = cluster.node(name);
      if (n.state !== 'running') return void errors.push(`${name}: ${n.state}`);
      const c = adminClient(n.address);
      try {
        const s = await call<object, StatusResponse__Output>(c.Status.bind(c), {}, timeoutMs, true);
        for (const t of s.inDoubt) txns.set(t, [...(txns.get(t) ?? []), name]);
      } catch (err) {
        errors.push(`${name}: ${firstLine(err as Error)}`);
      } finally {
        c.close();
      }
    }),
  );
  return { txns, errors };
}

/**
 * Watches the participants while the coordinator is down: from `from` until `until`
 * (epoch ms), polls every participant's in-doubt list every 200 ms (each poll bounded).
 */
async function watchInDoubt(cluster: LocalCluster, atMs: number, downMs: number, from: number, until: number): Promise<CoordinatorOutage> {
  const out: CoordinatorOutage = { atMs, downMs, polls: 0, max: 0, last: 0, lastTxns: [], errors: [] };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
  await sleep(from - Date.now());
  while (Date.now() < until - 50) {
    const { txns, errors } = await inDoubtNow(cluster, Math.max(100, Math.min(800, until - Date.now())));
    out.polls++;
    out.max = Math.max(out.max, txns.size);
    out.last = txns.size;
    out.lastTxns = [...txns].slice(0, 10).map(([t, ps]) => `${ps.join(',')}:${t}`);
    for (const e of errors) if (!out.errors.includes(e)) out.errors.push(e);
    await sleep(Math.min(200, until - 50 - Date.now()));
  }
  return out;
}

/**
 * Waits (bounded) until every member of the coordinators' map holds it and no move is half-done
 * on any participant; true if so. The verdict itself comes from the stopped stores (checkPlacement).
 */
async function mapsAgree(cluster: LocalCluster, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const o = await cluster.shards().catch(() => null);
    const members = new Set(o?.map.members.map((m) => m.id) ?? []);
    const hosts = o?.hosts.filter((h) => members.has(h.nodeId)) ?? [];
    if (
      o &&
      o.unreachable.length === 0 &&
      hosts.length === members.size &&
      hosts.every((h) => h.map?.epoch === o.map.epoch && h.frozen.length === 0 && h.incoming.length === 0)
    ) {
      return true;
    }
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** How many requests each coordinator passed on to an owner, and found the owner unreachable. */
async function forwardedCounts(cluster: LocalCluster): Promise<string> {
  const parts: string[] = [];
  for (const name of cluster.coordinatorNames) {
    const a = adminClient(cluster.node(name).address);
    const s = await call<object, StatusResponse__Output>(a.Status.bind(a), {}, 2000).catch(() => null);
    a.close();
    const get = (k: string) => Number(s?.counters.find((x) => x.name === k)?.value ?? 0);
    parts.push(s ? `${name} forwarded ${get('forwarded')} (owner unreachable ${get('ownerUnreachable')})` : `${name} ?`);
  }
  return parts.join(', ');
}

/**
 * Jepsen-style run on real processes: start a cluster, run the workload from several
 * clients while a seeded nemesis schedule breaks it, heal everything, wait for
 * quiescence (bounded), resolve unknown outcomes, stop the cluster, then check the
 * history and every node's log.
 */
// Over 70 lines: its phases (run under the nemesis, heal, wait for quiescence, check) share the cluster,
// history, checks and fault log, and one try/finally must stop the cluster whichever phase fails.
// eslint-disable-next-line max-lines-per-function -- phases share one cluster and one cleanup (see above)
export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const cluster = await LocalCluster.create({
    participants: o.participants,
    coordinators: o.coordinators ?? 1,
    ...(o.outDir ? { dataDir: join(o.outDir, 'data') } : {}),
    participantArgs: ['--inquire-after', '500ms'],
    coordinatorArgs: ['--protocol', o.protocol ?? DEFAULT_PROTOCOL],
    ...(o.nodeEnv ? { nodeEnv: o.nodeEnv } : {}),
    // Power cuts need every node's data dir on powerfs; nothing changes without them.
    ...(o.nemeses.some((k) => POWER_NEMESES.includes(k)) ? { powerFs: true } : {}),
  });
  const historyPath = join(o.outDir ?? cluster.dataDir, 'history.jsonl');
  const history = new History(historyPath);
  const workload = makeWorkload(o.workload, o.protocol ?? DEFAULT_PROTOCOL, o.scarce, o.registerKeys);
  const checks: CheckResult[] = [];
  const faults: string[] = [];
  const outages: CoordinatorOutage[] = [];
  const graceMs = o.blockedGraceMs ?? 4000;
  const recoveryErrors: string[] = [];
  const resharding = o.nemeses.includes('reshard');
  /** Every participant's data dir, those the reshard nemesis took out of the cluster too (their records count). */
  const dirs = new Map<string, string>();
  const noteDirs = (): void => {
    for (const d of participantDirs(cluster)) if (!dirs.has(d.name)) dirs.set(d.name, d.dataDir);
  };
  const noteReshard = (a: ReshardAction, phase: 'start' | 'end'): void => {
    noteDirs();
    if (phase === 'start') {
      history.add({ process: -1, type: 'info', f: 'nemesis:reshard', value: a.what });
      return;
    }
    faults.push(`${(a.atMs / 1000).toFixed(1)}s reshard: ${a.what} ${a.ok ? 'done' : 'FAILED'} in ${a.ms}ms (${a.detail})`);
    history.add({ process: -1, type: 'info', f: 'heal:reshard', value: { what: a.what, ok: a.ok, detail: a.detail } });
  };
  const reshard = resharding ? new ReshardNemesis(cluster, o.seed, noteReshard, o.reshardBoundMs) : null;
  const guarded = async (name: string, fn: () => Promise<CheckResult[]>): Promise<void> => {
    try {
      checks.push(...(await fn()));
    } catch (err) {
      checks.push({ name, ok: false, detail: `could not check: ${firstLine(err as Error)}` });
    }
  };
  try {
    await cluster.startAll();
    noteDirs();
    const c = new DtxClient(cluster.coordinatorAddresses, { timeoutMs: 3000 });
    await workload.setup(c);
    // Each client starts on another coordinator (they fail over to the others).
    const addrs = cluster.coordinatorAddresses;
    const rotated = (p: number) => [...addrs.slice(p % addrs.length), ...addrs.slice(0, p % addrs.length)];
    // Under the hedge nemesis, clients whose transactions it can copy to another coordinator.
    const hedge = o.nemeses.includes('hedge') ? new ClientHedge(addrs, { timeoutMs: 3000 }) : null;
    const clientsOf = Array.from({ length: o.concurrency }, (_, p) =>
      hedge ? new HedgingClient(rotated(p), { timeoutMs: 3000 }, hedge) : addrs.length === 1 ? c : new DtxClient(rotated(p), { timeoutMs: 3000 }),
    );
    // With membership changes, each fault picks its node when it applies, and a coordinator's
    // --participants follow the map before it restarts.
    const membership = reshard ? { beforeRestart: (x: LocalCluster) => alignCoordinatorFlags(x) } : undefined;
    const schedule: NemesisStep[] = nemesisSchedule(o.seed, o.nemeses, o.durationMs, [...cluster.nodes.keys()], membership, hedge ?? undefined);
    const started = Date.now();
    const end = started + o.durationMs;
    let fault = 'none';

    const clients = Array.from({ length: o.concurrency }, async (_, p) => {
      const random = prng(o.seed * 1000 + p);
      let backoffMs = 20;
      for (let i = 0; i < 1_000_000 && Date.now() < end; i++) {
        await workload.step(clientsOf[p]!, p, random, history);
        const type = lastOf(history, p)?.type;
        // Back off while broken; longer and longer while every call breaks (a dead
        // coordinator), so that a few clients do not pile up thousands of unknown outcomes.
        if (type === 'info') backoffMs = Math.min(backoffMs * 2, 400);
        else backoffMs = 20;
        if (type === 'info' || type === 'fail') await new Promise((r) => setTimeout(r, Math.min(backoffMs, Math.max(0, end - Date.now()))));
      }
    });
    const nemesis = (async () => {
      let healedAt = started;
      for (const [i, step] of schedule.entries()) {
        // Beside membership changes the drawn calm after each heal is kept in real time (a restart
        // that takes seconds would otherwise eat it, and a change would never find every node up);
        // a step that would then end after the run is left out.
        const prev = schedule[i - 1];
        const calm = membership && prev ? step.atMs - prev.atMs - prev.forMs : 0;
        const startAt = Math.max(started + step.atMs, healedAt + calm);
        if (membership && startAt + step.forMs > end) break;
        const wait = startAt - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        let line = -1;
        const record = (): void => {
          fault = step.what;
          line = faults.push(`${(step.atMs / 1000).toFixed(1)}s ${step.what} for ${step.forMs}ms${step.outcome ? `: ${step.outcome}` : ''}`) - 1;
          history.add({ process: -1, type: 'info', f: `nemesis:${step.kind}`, value: step.what });
        };
        // A step on the current nodes knows its node once applied.
        if (!membership) record();
        let applied = true;
        await step.apply(cluster).catch((err: Error) => {
          applied = false;
          recoveryErrors.push(`${step.what}: ${firstLine(err)}`);
        });
        if (membership) record();
        else if (step.outcome) faults[line] += `: ${step.outcome}`;
        const downAt = Date.now();
        // The coordinator is down: after the grace period, count what the participants hold
        // in doubt, up to just before it restarts.
        const watch =
          applied && step.kills !== undefined && cluster.coordinatorNames.includes(step.kills) && step.forMs >= graceMs + 250
            ? watchInDoubt(cluster, downAt - started, step.forMs, downAt + graceMs, downAt + step.forMs)
            : null;
        await new Promise((r) => setTimeout(r, step.forMs));
        if (watch) {
          const outage = await watch;
          outages.push(outage);
          history.add({ process: -1, type: 'info', f: 'in-doubt', value: { last: outage.last, max: outage.max, txns: outage.lastTxns } });
        }
        await step.heal(cluster).catch((err: Error) => recoveryErrors.push(`healing ${step.what}: ${firstLine(err)}`));
        history.add({ process: -1, type: 'info', f: `heal:${step.kind}`, value: step.outcome ? `${step.what}: ${step.outcome}` : step.what });
        fault = 'none';
        healedAt = Date.now();
      }
    })();
    const ticker = setInterval(() => {
      const changing = reshard?.current ?? 'none';
      o.onProgress?.({
        elapsedMs: Date.now() - started,
        durationMs: o.durationMs,
        ok: history.count('ok'),
        fail: history.count('fail'),
        info: history.count('info'),
        fault: changing === 'none' ? fault : fault === 'none' ? changing : `${fault} + ${changing}`,
      });
    }, 500);
    await Promise.all([...clients, nemesis, reshard?.run(started, end)]);
    clearInterval(ticker);
    hedge?.hedgeFor(null);
    await hedge?.settled();
    if (hedge) faults.push(`hedge: ${hedge.count} transactions sent twice`);

    // Heal everything, whatever the schedule left behind, then wait for quiescence. After
    // membership changes the participants come back first: a coordinator's --participants are
    // lined up with the newest map they hold before it restarts.
    await cluster.setNetworkFaults([]);
    for (const name of resharding ? [...cluster.participantNames, ...cluster.coordinatorNames] : [...cluster.nodes.keys()]) {
      const n = cluster.node(name);
      try {
        if (n.state === 'paused') await cluster.resume(name);
        if (n.state === 'stopped' && resharding && n.spec.role === 'coordinator') await alignCoordinatorFlags(cluster);
        if (n.state === 'stopped') await cluster.restart(name);
        await cluster.setClockOffset(name, 0);
      } catch (err) {
        recoveryErrors.push(`healing ${name}: ${firstLine(err as Error)}`);
      }
    }
    checks.push({
      id: 'recovered',
      name: 'nodes restart and recover by themselves',
      ok: recoveryErrors.length === 0,
      measured: faults.length > 0,
      detail: recoveryErrors.length === 0 ? 'every restart served again' : recoveryErrors.slice(0, 2).join('; '),
    });
    const deadline = Date.now() + (o.quiesceTimeoutMs ?? 60_000);
    // Idle three times in a row, a second apart: a late message must not slip in after a lucky poll.
    let why: string | null = 'not checked';
    for (let idle = 0; idle < 3 && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, idle > 0 ? 500 : 200));
      why = await busy(cluster);
      idle = why === null ? idle + 1 : 0;
    }
    const diagnosis = why === null ? '' : await diagnoseBusy(cluster, c, history).catch((err: Error) => `no diagnosis: ${firstLine(err)}`);
    checks.push({
      id: 'liveness',
      name: 'liveness: quiescent after healing (no lock, no in-doubt txn)',
      ok: why === null,
      detail: why === null ? 'every node idle' : `not idle within ${o.quiesceTimeoutMs ?? 60_000} ms: ${why}${diagnosis ? ` [${diagnosis}]` : ''}`,
    });
    let committed = new Set<string>();
    await guarded('every unknown outcome resolved after healing', async () => {
      const r = await resolveUnknown(c, history);
      committed = r.committed;
      return [
        {
          id: 'unknown-resolved',
          name: 'every unknown outcome resolved after healing',
          ok: r.unresolved.length === 0,
          measured: history.count('info') > 0,
          detail: `${history.count('info')} unknown, ${r.unresolved.length} unresolved`,
        },
      ];
    });
    await guarded(`${workload.name} checks`, () => workload.check(c, history, committed));
    if (reshard) {
      const s = reshard.summary;
      const failed = s.actions.filter((a) => !a.ok);
      checks.push({
        id: 'reshard',
        name: 'reshard: every membership change ended (done, or failed and reported)',
        ok: s.hung.length === 0,
        measured: s.actions.length > 0,
        detail:
          `${s.actions.length} changes, ${s.actions.length - failed.length} done, ${failed.length} failed, ${s.hung.length} hung; ${s.shardsMoved} shards moved; ` +
          `added ${s.added.join(',') || 'none'}, removed ${s.removed.join(',') || 'none'}${failed.length ? `; ${failed[0]!.what}: ${failed[0]!.detail}` : ''}`,
      });
      // A participant that missed a map gets it from a coordinator's sync (every 2 s): give it time.
      await mapsAgree(cluster, 15_000);
    }
    const forwarded = await forwardedCounts(cluster);
    for (const x of new Set(clientsOf)) x.close();
    hedge?.close();
    const told = new Set(history.entries.filter((e) => e.type === 'ok' && e.txnId).map((e) => e.txnId!));
    // Each transaction's keys: the log checks find its participants from them in the logs (shards move).
    const keysOf = new Map<string, string[]>();
    for (const e of history.entries) {
      const keys = e.type === 'invoke' && e.txnId ? workload.keysOf?.(e) : null;
      if (keys) keysOf.set(e.txnId!, keys);
    }
    noteDirs();
    await cluster.stop();
    const participants: ParticipantDir[] = [...dirs].map(([name, dataDir]) => ({ name, dataDir }));
    await guarded('log checks', async () =>
      (await checkLogs(cluster, told, { protocol: o.protocol ?? DEFAULT_PROTOCOL, keysOf, participants })).map((r) =>
        r.id === 'owner' ? { ...r, detail: `${forwarded}; ${r.detail}` } : r,
      ),
    );
    await guarded('every key on exactly one owner at the end (the final shard map)', () => checkPlacement(participants));
  } finally {
    await cluster.stop().catch(() => undefined);
    await history.close();
  }
  const settled = settleUnmeasured(checks, OPTIONAL_CHECKS[o.workload]);
  const atomicity = settled.find((c) => c.id === ATOMICITY) ?? null;
  const latency = new LatencyHistogram();
  for (const ms of commitLatenciesMs(history.entries)) latency.recordMs(ms);
  const l = latency.summary();
  return {
    ok: settled.every((c) => c.ok),
    checks: settled,
    atomicity: atomicity ? { ok: atomicity.ok, detail: atomicity.detail } : null,
    protocol: o.protocol ?? DEFAULT_PROTOCOL,
    workload: o.workload,
    nemeses: o.nemeses,
    seed: o.seed,
    durationMs: o.durationMs,
    historyPath,
    dataDir: cluster.dataDir,
    logsDir: join(cluster.dataDir, 'logs'),
    ops: { ok: history.count('ok'), fail: history.count('fail'), info: history.count('info') },
    faults,
    blockedWhileCoordinatorDown: outages.some((x) => x.polls > 0) ? Math.max(...outages.filter((x) => x.polls > 0).map((x) => x.last)) : null,
    coordinatorOutages: outages,
    reshard: reshard?.summary ?? null,
    commitLatency: { count: l.count, mean: l.mean, p50: l.p50, p99: l.p99, max: l.max },
    isolation: workload.isolation?.() ?? null,
  };
}
