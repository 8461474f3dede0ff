import { join } from 'node:path';
import { DtxClient } from '../client/dtxClient.js';
import { LocalCluster } from '../cluster/localCluster.js';
import { adminClient, call } from '../rpc/clients.js';
import type { StatusResponse__Output } from '../rpc/generated/dtx/v1/StatusResponse.js';
import { prng } from '../workload/bank.js';
import { bankWorkload } from '../workload/bankChaos.js';
import { cartWorkload } from '../workload/cart.js';
import { lockWorkload } from '../workload/lockChaos.js';
import { resolveUnknown, type ChaosWorkload, type CheckResult } from '../workload/checks.js';
import { History } from '../workload/history.js';
import { checkLogs } from '../workload/logCheck.js';
import { nemesisSchedule, type NemesisKind, type NemesisStep } from './nemesis.js';

export interface ChaosOptions {
  workload: WorkloadName;
  nemeses: NemesisKind[];
  durationMs: number;
  seed: number;
  concurrency: number;
  participants: number;
  /** Where the history and the cluster's data go; a temp dir (kept) when omitted. */
  outDir?: string;
  /** Extra environment per node (planted bugs in tests). */
  nodeEnv?: Record<string, Record<string, string>>;
  quiesceTimeoutMs?: number;
  onProgress?: (p: ChaosProgress) => void;
}

export interface ChaosProgress {
  elapsedMs: number;
  durationMs: number;
  ok: number;
  fail: number;
  info: number;
  fault: string;
}

export interface ChaosReport {
  ok: boolean;
  checks: CheckResult[];
  historyPath: string;
  dataDir: string;
  ops: { ok: number; fail: number; info: number };
  faults: string[];
}

function firstLine(err: Error): string {
  return (err.message ?? String(err)).split('\n')[0]!;
}

export const WORKLOADS = ['bank', 'cart', 'lock'] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

function makeWorkload(name: WorkloadName): ChaosWorkload {
  switch (name) {
    case 'bank':
      return bankWorkload({ accounts: 40, initial: 1000n, prefix: 'acct' });
    case 'cart':
      return cartWorkload({ skus: 12, users: 24, stock: 200n, wallet: 2000n });
    case 'lock':
      return lockWorkload({ locks: 3, ttlMs: 1500 });
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
 * Jepsen-style run on real processes: start a cluster, run the workload from several
 * clients while a seeded nemesis schedule breaks it, heal everything, wait for
 * quiescence (bounded), resolve unknown outcomes, stop the cluster, then check the
 * history and every node's log.
 */
export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const cluster = await LocalCluster.create({
    participants: o.participants,
    ...(o.outDir ? { dataDir: join(o.outDir, 'data') } : {}),
    participantArgs: ['--inquire-after', '500ms'],
    ...(o.nodeEnv ? { nodeEnv: o.nodeEnv } : {}),
  });
  const historyPath = join(o.outDir ?? cluster.dataDir, 'history.jsonl');
  const history = new History(historyPath);
  const workload = makeWorkload(o.workload);
  const checks: CheckResult[] = [];
  const faults: string[] = [];
  const recoveryErrors: string[] = [];
  const guarded = async (name: string, fn: () => Promise<CheckResult[]>): Promise<void> => {
    try {
      checks.push(...(await fn()));
    } catch (err) {
      checks.push({ name, ok: false, detail: `could not check: ${firstLine(err as Error)}` });
    }
  };
  try {
    await cluster.startAll();
    const c = new DtxClient(cluster.coordinatorAddress, { timeoutMs: 3000 });
    await workload.setup(c);
    const schedule: NemesisStep[] = nemesisSchedule(o.seed, o.nemeses, o.durationMs, [...cluster.nodes.keys()]);
    const started = Date.now();
    const end = started + o.durationMs;
    let fault = 'none';

    const clients = Array.from({ length: o.concurrency }, async (_, p) => {
      const random = prng(o.seed * 1000 + p);
      for (let i = 0; i < 1_000_000 && Date.now() < end; i++) {
        const type = await workload.step(c, p, random, history).then(() => history.entries.at(-1)?.type);
        if (type === 'info' || type === 'fail') await new Promise((r) => setTimeout(r, 20)); // back off while broken
      }
    });
    const nemesis = (async () => {
      for (const step of schedule) {
        const wait = started + step.atMs - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        fault = step.what;
        faults.push(`${(step.atMs / 1000).toFixed(1)}s ${step.what} for ${step.forMs}ms`);
        history.add({ process: -1, type: 'info', f: `nemesis:${step.kind}`, value: step.what });
        await step.apply(cluster).catch((err: Error) => recoveryErrors.push(`${step.what}: ${firstLine(err)}`));
        await new Promise((r) => setTimeout(r, step.forMs));
        await step.heal(cluster).catch((err: Error) => recoveryErrors.push(`healing ${step.what}: ${firstLine(err)}`));
        history.add({ process: -1, type: 'info', f: `heal:${step.kind}`, value: step.what });
        fault = 'none';
      }
    })();
    const ticker = setInterval(() => {
      o.onProgress?.({
        elapsedMs: Date.now() - started,
        durationMs: o.durationMs,
        ok: history.count('ok'),
        fail: history.count('fail'),
        info: history.count('info'),
        fault,
      });
    }, 500);
    await Promise.all([...clients, nemesis]);
    clearInterval(ticker);

    // Heal everything, whatever the schedule left behind, then wait for quiescence.
    await cluster.setNetworkFaults([]);
    for (const n of cluster.nodes.values()) {
      try {
        if (n.state === 'paused') await cluster.resume(n.spec.name);
        if (n.state === 'stopped') await cluster.restart(n.spec.name);
        await cluster.setClockOffset(n.spec.name, 0);
      } catch (err) {
        recoveryErrors.push(`healing ${n.spec.name}: ${firstLine(err as Error)}`);
      }
    }
    checks.push({
      name: 'nodes restart and recover by themselves',
      ok: recoveryErrors.length === 0,
      detail: recoveryErrors.length === 0 ? 'every restart served again' : recoveryErrors.slice(0, 2).join('; '),
    });
    const deadline = Date.now() + (o.quiesceTimeoutMs ?? 60_000);
    // Idle three times in a row, a second apart: a late message must not slip in after a lucky poll.
    let why: string | null = 'not checked';
    for (let idle = 0; idle < 3 && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, idle > 0 ? 500 : 200));
      why = await busy(cluster);
      idle = why === null ? idle + 1 : 0;
    }
    checks.push({
      name: 'liveness: quiescent after healing (no lock, no in-doubt txn)',
      ok: why === null,
      detail: why === null ? 'every node idle' : `not idle within ${o.quiesceTimeoutMs ?? 60_000} ms: ${why}`,
    });
    let committed = new Set<string>();
    await guarded('every unknown outcome resolved after healing', async () => {
      const r = await resolveUnknown(c, history);
      committed = r.committed;
      return [
        {
          name: 'every unknown outcome resolved after healing',
          ok: r.unresolved.length === 0,
          detail: `${history.count('info')} unknown, ${r.unresolved.length} unresolved`,
        },
      ];
    });
    await guarded(`${workload.name} checks`, () => workload.check(c, history, committed));
    c.close();
    const told = new Set(history.entries.filter((e) => e.type === 'ok' && e.txnId).map((e) => e.txnId!));
    await cluster.stop();
    await guarded('log checks', () => checkLogs(cluster, told));
  } finally {
    await cluster.stop().catch(() => undefined);
    await history.close();
  }
  return {
    ok: checks.every((c) => c.ok),
    checks,
    historyPath,
    dataDir: cluster.dataDir,
    ops: { ok: history.count('ok'), fail: history.count('fail'), info: history.count('info') },
    faults,
  };
}
