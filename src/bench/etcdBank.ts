import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { prng } from '../workload/bank.js';
import { LatencyHistogram } from './histogram.js';
import { cpuReport, MeasureWindow, runWindow } from './window.js';
import { machineReport, type BenchReport, type Progress } from './runBench.js';
import { bankKey, DEFAULT_KEYS, type Contention } from './workloads.js';

export const ETCD_DURABILITY = 'every Txn is committed through raft; the leader and a majority of members fsync their WAL before it is applied and answered';

export interface EtcdBankOptions {
  endpoints: string[];
  concurrency: number;
  durationMs: number;
  warmupMs: number;
  /** As for dtx: the warmup also lasts until this many transfers committed. */
  warmupTxns?: number;
  contention: Contention;
  accounts?: number;
  loopsPerClient?: number;
  maxRetries?: number;
  seed?: number;
  /** etcd member processes whose CPU to count. */
  pids?: Map<string, number>;
}

type Etcd3Module = typeof import('etcd3');
type Etcd3 = InstanceType<Etcd3Module['Etcd3']>;
type KV = Etcd3['kv'];
interface Account {
  balance: bigint;
  rev: string;
}

const BIG = 1_000_000_000_000n;

function parseRanges(responses: { response_range?: { kvs: { value: Buffer; mod_revision: string }[] } }[]): [Account, Account] {
  const one = (i: number): Account => {
    const kv = responses[i]?.response_range?.kvs[0];
    if (!kv) throw new Error('account missing in etcd');
    return { balance: BigInt(kv.value.toString()), rev: String(kv.mod_revision) };
  };
  return [one(0), one(1)];
}

/**
 * The bank transfer done the etcd way (optimistic concurrency, as its STM does): read both
 * balances and their mod revisions in one Txn, then one Txn that compares both mod revisions
 * and writes both new balances; when the compare fails its failure branch returns the fresh
 * balances and the transfer is tried again with those (a CONFLICT abort, as dtx counts them).
 * The etcd3 package is a devDependency, loaded only here.
 */
function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('transfer took over 10 s'), { name: 'DEADLINE_EXCEEDED' })), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

// Over 70 lines: it mirrors runBench phase for phase (the same counters, window and report) so that the
// two stay comparable; split the two together.
// eslint-disable-next-line max-lines-per-function -- mirrors runBench, to be split with it (see above)
export async function runEtcdBank(o: EtcdBankOptions, onProgress: (p: Progress) => void = () => undefined): Promise<BenchReport> {
  const { Etcd3 } = (await import('etcd3')) as Etcd3Module;
  const startedAt = new Date().toISOString();
  // Other load on the machine skews every number: the report says how busy it was.
  const loadAvgAtStart = loadavg();
  const loopsPerClient = o.loopsPerClient ?? 32;
  const maxRetries = o.maxRetries ?? 20;
  const seed = o.seed ?? 1;
  const accounts = o.accounts ?? DEFAULT_KEYS.bank[o.contention];
  const totalMs = o.warmupMs + o.durationMs;
  const warmupTxns = o.warmupTxns ?? 0;
  const hosts = o.endpoints.map((e) => (/^https?:\/\//.test(e) ? e : `http://${e}`));
  const nClients = Math.max(1, Math.ceil(o.concurrency / loopsPerClient));
  // One client per group of loops, each on its own connection, spread over the members.
  const clients: Etcd3[] = Array.from(
    { length: nClients },
    (_, i) => new Etcd3({ hosts: hosts[i % hosts.length]!, grpcOptions: { 'grpc.use_local_subchannel_pool': 1 } }),
  );
  const counts = { committed: 0, attempts: 0, aborted: 0, gaveUp: 0, errors: 0 };
  const errors: Record<string, number> = {};
  const progress = (phase: Progress['phase'], elapsedMs: number) =>
    onProgress({ phase, elapsedMs, totalMs, committed: counts.committed, aborted: counts.aborted, errors: counts.errors });
  try {
    progress('setup', 0);
    const runId = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
    const keys = Array.from({ length: accounts }, (_, i) => Buffer.from(bankKey(runId, i)));
    // etcd refuses a Txn of more than 128 ops (--max-txn-ops).
    const setupKv = clients[0]!.kv;
    for (let i = 0; i < keys.length; i += 128 * 4) {
      await Promise.all(
        [0, 1, 2, 3].map((j) => {
          const chunk = keys.slice(i + j * 128, i + (j + 1) * 128);
          return chunk.length === 0
            ? Promise.resolve()
            : setupKv.txn({ success: chunk.map((key) => ({ request_put: { key, value: Buffer.from(BIG.toString()) } })) });
        }),
      );
    }

    const hist = new LatencyHistogram();
    const attemptHist = new LatencyHistogram();
    const t0 = performance.now();
    const window = new MeasureWindow();
    let stopped = false;
    const inWindow = (t: number) => window.contains(t);
    const bump = (code: string) => (errors[code] = (errors[code] ?? 0) + 1);

    const transfer = async (kv: KV, a: Buffer, b: Buffer, amount: bigint) => {
      const start = performance.now();
      const read = await kv.txn({ success: [{ request_range: { key: a } }, { request_range: { key: b } }] });
      let [fa, fb] = parseRanges(read.responses as never);
      for (let attempt = 0; ; attempt++) {
        const a0 = performance.now();
        const r = await kv.txn({
          compare: [
            { key: a, target: 'Mod', result: 'Equal', mod_revision: fa.rev },
            { key: b, target: 'Mod', result: 'Equal', mod_revision: fb.rev },
          ],
          success: [
            { request_put: { key: a, value: Buffer.from((fa.balance - amount).toString()) } },
            { request_put: { key: b, value: Buffer.from((fb.balance + amount).toString()) } },
          ],
          failure: [{ request_range: { key: a } }, { request_range: { key: b } }],
        });
        const now = performance.now();
        const counted = inWindow(now);
        if (counted) {
          counts.attempts++;
          // The first attempt includes the read that it depends on.
          attemptHist.recordMs(now - (attempt === 0 ? start : a0));
        }
        if (r.succeeded) {
          window.committedEver++;
          if (counted) {
            counts.committed++;
            hist.recordMs(now - start);
          }
          return;
        }
        if (counted) counts.aborted++;
        if (attempt >= maxRetries || stopped) {
          if (counted) counts.gaveUp++;
          return;
        }
        [fa, fb] = parseRanges(r.responses as never);
      }
    };

    const loop = async (i: number) => {
      const kv = clients[Math.floor(i / loopsPerClient)]!.kv;
      const random = prng(seed * 1_000_003 + i);
      while (!stopped) {
        const x = Math.floor(random() * keys.length);
        let y = Math.floor(random() * (keys.length - 1));
        if (y >= x) y++;
        const amount = BigInt(1 + Math.floor(random() * 10));
        try {
          // Every transfer is bounded in time (etcd3 calls carry no deadline of their own).
          await withDeadline(transfer(kv, keys[x]!, keys[y]!, amount), 10_000);
        } catch (err) {
          if (inWindow(performance.now())) {
            counts.errors++;
            bump((err as Error).name || 'Error');
          }
          await sleep(20);
        }
      }
    };

    const pids = o.pids ?? new Map<string, number>();
    const ticker = setInterval(() => progress(window.started ? 'measure' : 'warmup', performance.now() - t0), 250);
    const loops = Array.from({ length: o.concurrency }, (_, i) => loop(i));
    const cpu = await runWindow({ warmupMs: o.warmupMs, durationMs: o.durationMs, pids, warmupTxns }, window, () => (stopped = true));
    clearInterval(ticker);
    progress('drain', totalMs);
    let finished = 0;
    await Promise.race([Promise.all(loops.map((l) => l.then(() => void finished++))), sleep(12_000, undefined, { ref: false })]);

    const windowS = window.seconds;
    const rate = (n: number) => (counts.attempts > 0 ? Math.round((n / counts.attempts) * 1e4) / 1e4 : 0);
    return {
      tool: 'dtx bench etcd',
      startedAt,
      machine: machineReport(loadAvgAtStart),
      config: {
        workload: 'bank',
        protocol: 'etcd Txn (compare mod revisions, raft)',
        participants: o.endpoints.length,
        concurrency: o.concurrency,
        durationMs: o.durationMs,
        warmupMs: cpu.warmupMs,
        warmupTxns,
        contention: o.contention,
        target: o.endpoints.join(','),
        clients: clients.length,
        clientApi: 'unary',
        tls: false,
        loopsPerClient,
        txnTimeoutMs: 10_000,
        maxRetries,
        seed,
        workloadShape: { accounts, members: o.endpoints.length, transfer: 'Txn(read both) then Txn(compare both mod revisions; put both | else read both)' },
      },
      durability: ETCD_DURABILITY,
      results: {
        windowMs: Math.round(windowS * 1000),
        committed: counts.committed,
        committedPerSec: Math.round((counts.committed / windowS) * 10) / 10,
        committedByKind: { transfer: counts.committed },
        attempts: counts.attempts,
        aborted: counts.aborted,
        abortRate: rate(counts.aborted),
        abortsByCode: counts.aborted > 0 ? { CONFLICT: counts.aborted } : {},
        abortRateByCode: counts.aborted > 0 ? { CONFLICT: rate(counts.aborted) } : {},
        gaveUp: counts.gaveUp,
        errors,
        latencyMs: hist.summary(),
        attemptLatencyMs: attemptHist.summary(),
        cpu: cpuReport(cpu, pids, counts.committed, windowS),
        counters: {},
        forcedWritesPerCommitted: null,
        unfinishedLoops: o.concurrency - finished,
      },
    };
  } finally {
    for (const c of clients) c.close();
  }
}
