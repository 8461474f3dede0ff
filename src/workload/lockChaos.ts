import { op, type DtxClient } from '../client/dtxClient.js';
import { fenced, LockClient, type Lease } from '../client/locks.js';
import type { ChaosWorkload, CheckResult } from './checks.js';
import type { History } from './history.js';

interface LockWrite {
  lock: string;
  token: string;
  /** How long its holder stalled, past its lease, before this write (its first after the stall). */
  stalledMs?: number;
}

const resource = (lock: string) => `lockres:${lock}`;

/** One fenced put of the lock's resource, recorded in the history with the version it made (ok), refused (fail) or unknown (info). */
async function fencedWrite(client: DtxClient, history: History, process: number, txnId: string, lock: string, lease: Lease, stalledMs: number): Promise<void> {
  const token = lease.token;
  const value: LockWrite = { lock, token: token.toString(), ...(stalledMs > 0 ? { stalledMs } : {}) };
  history.add({ process, type: 'invoke', f: 'write', txnId, value });
  try {
    const r = await client.transact([fenced(op.put(resource(lock), `${token}:${process}`), lock, token, lease.proof)], {
      txnId,
      timeoutMs: 2000,
    });
    const type = r.outcome === 'COMMITTED' ? 'ok' : r.outcome === 'ABORTED' ? 'fail' : 'info';
    history.add({ process, type, f: 'write', txnId, value: { ...value, version: r.results[0]?.version ?? 0 }, ...(r.reason ? { error: r.reason } : {}) });
  } catch (err) {
    history.add({ process, type: 'info', f: 'write', txnId, value, error: (err as Error).message });
  }
}

/** The share of holds that stall past their lease before writing (the simulator's lock clients stall as often). */
export const STALL_SHARE = 0.2;

/**
 * A newer holder for a stalled one's lock: another client (its own process id in the history, as
 * a second machine would be) acquires the lock, writes the resource with its token and releases.
 */
async function takeOverLock(
  client: DtxClient,
  history: History,
  lockClients: Map<number, LockClient>,
  process: number,
  lock: string,
  ttlMs: number,
  nextSeq: () => number,
): Promise<void> {
  const other = TAKEOVER_PROCESS + process;
  const held = await acquireRecorded(client, history, lockClients, other, lock, ttlMs);
  if (!held) return;
  await fencedWrite(client, history, other, `lock-${other}-${nextSeq()}`, lock, held.lease, 0);
  await held.lc.release(held.lease.leaseId).catch(() => false);
}

/** Process `process` acquires `lock` with its own lock client, recorded in the history (invoke, then ok or fail); null: refused. */
async function acquireRecorded(
  client: DtxClient,
  history: History,
  lockClients: Map<number, LockClient>,
  process: number,
  lock: string,
  ttlMs: number,
): Promise<{ lc: LockClient; lease: Lease } | null> {
  if (!lockClients.has(process)) lockClients.set(process, new LockClient(client.addresses, 3000));
  const lc = lockClients.get(process)!;
  history.add({ process, type: 'invoke', f: 'acquire', value: { lock } });
  try {
    const lease = await lc.acquire(lock, { ttlMs, waitMs: 500, owner: `chaos-${process}` });
    history.add({ process, type: 'ok', f: 'acquire', value: { lock, token: lease.token.toString() } });
    return { lc, lease };
  } catch (err) {
    history.add({ process, type: 'fail', f: 'acquire', value: { lock }, error: (err as Error).message });
    return null;
  }
}

/** The history's process id of the client that takes a lock over from process p's stalled holder: TAKEOVER_PROCESS + p. */
const TAKEOVER_PROCESS = 1000;

/** How long past its lease a stalled holder waits, at most, for a newer holder to write the resource. */
const STALL_PAST_LEASE_MAX_MS = 3000;

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

/** The resource's committed version (null: the read failed). */
const resourceVersion = (client: DtxClient, lock: string): Promise<number | null> =>
  client.read([resource(lock)], 1000).then(
    (r) => r[0]?.version ?? 0,
    () => null,
  );

/**
 * Sometimes (STALL_SHARE) a holder stalls past its lease before writing, as a GC pause or a SIGSTOP
 * would make it, and on until a newer holder has written the resource (bounded): the case fencing
 * exists for (Kleppmann, "How to do distributed locking"), so each stall tries a write that must be
 * refused. How long it stalled (0: it did not).
 */
async function stallPastLease(client: DtxClient, lock: string, random: () => number, ttlMs: number, takeOver: () => Promise<void>): Promise<number> {
  if (random() >= STALL_SHARE) return 0;
  const started = Date.now();
  const deadline = started + ttlMs + STALL_PAST_LEASE_MAX_MS;
  // A read that fails (its shard's node killed or paused) is tried again: giving up on it would
  // let the stalled holder write before any newer holder has, which fencing rightly accepts.
  let before: number | null = null;
  for (let i = 0; i < 20 && before === null && Date.now() < deadline; i++) before = await resourceVersion(client, lock);
  await sleep(ttlMs + 200 + Math.floor(random() * 300));
  // No other client took the lock meanwhile (they picked other locks, or were killed): a newer
  // holder takes it now, so that the stalled write still meets a newer token.
  const seen = before === null ? null : await resourceVersion(client, lock);
  if (before !== null && seen !== null && seen <= before) await takeOver();
  for (let i = 0; i < 100 && before !== null && Date.now() < deadline; i++) {
    const now = await resourceVersion(client, lock);
    if (now !== null && now > before) {
      // A moment more: the newer holder's next write would otherwise make this one a lock conflict.
      await sleep(250);
      break;
    }
    await sleep(100);
  }
  return Date.now() - started;
}

/**
 * Clients take named leases and, while they believe they hold one, write the resource it
 * protects with fenced puts (each put bumps the key's version: the resource's own order); a
 * fifth of the holders stall past their lease first, until a newer holder has written (see
 * stallPastLease), so that stale writes are tried in every run. Checks: no token granted twice;
 * in the resource's order, tokens never go back (a stale holder's write is refused, however
 * paused or partitioned it was); the resource holds exactly the committed writes.
 */
export function lockWorkload(o: { locks: number; ttlMs: number }): ChaosWorkload {
  const names = Array.from({ length: o.locks }, (_, i) => `res${i}`);
  const lockClients = new Map<number, LockClient>();
  let seq = 0;
  return {
    name: 'lock',
    async setup() {},
    async step(client, process, random, history) {
      const lock = names[Math.floor(random() * names.length)]!;
      const held = await acquireRecorded(client, history, lockClients, process, lock, o.ttlMs);
      if (!held) return;
      const { lc, lease } = held;
      const takeOver = (): Promise<void> => takeOverLock(client, history, lockClients, process, lock, o.ttlMs, () => seq++);
      const stalledMs = await stallPastLease(client, lock, random, o.ttlMs, takeOver);
      const writes = 1 + Math.floor(random() * 3);
      for (let i = 0; i < writes; i++) {
        await fencedWrite(client, history, process, `lock-${process}-${seq++}`, lock, lease, i === 0 ? stalledMs : 0);
        await sleep(Math.floor(random() * 100));
      }
      await lc.release(lease.leaseId).catch(() => false);
    },
    keysOf(e) {
      return e.f === 'write' ? [resource((e.value as LockWrite).lock)] : null;
    },
    async check(client: DtxClient, history: History, committed): Promise<CheckResult[]> {
      for (const lc of lockClients.values()) lc.close();
      const { granted, twice, backwards, staleRefused, stalled, ordered } = lockHistoryFindings(history);
      const final = await client.read(names.map(resource), 10_000);
      const wrongCount: string[] = [];
      names.forEach((lock, i) => {
        const applied = history.entries.filter(
          (e) => e.f === 'write' && e.type === 'invoke' && (e.value as LockWrite).lock === lock && committed.has(e.txnId!),
        ).length;
        if (final[i]!.version !== applied) wrongCount.push(`${lock}: version ${final[i]!.version}, ${applied} committed writes`);
      });
      return [
        {
          id: 'lock-token-once',
          name: 'locks: no fencing token granted twice for a lock',
          ok: twice.length === 0,
          // A repeat needs two grants of one lock.
          measured: granted > names.length,
          detail: `${granted} grants, ${twice.length} repeated ${twice.slice(0, 3).join(' ')}`,
        },
        {
          id: 'lock-order',
          name: 'locks: the resource sees tokens in order (no overlapping holders)',
          ok: backwards.length === 0,
          measured: ordered > 0,
          detail: `${stalled} holders stalled past their lease, ${staleRefused} stale writes refused; ${backwards.length} out of order ${backwards.slice(0, 2).join('; ')}`,
        },
        {
          id: 'lock-writes',
          name: 'locks: the resource holds exactly the committed writes',
          ok: wrongCount.length === 0,
          measured: committed.size > 0,
          detail: wrongCount.slice(0, 3).join('; ') || 'versions match',
        },
      ];
    },
  };
}

/**
 * What a lock history says, without asking the cluster: a lock's token granted twice, and writes
 * the resource accepted (in its version order) with a token older than one before them.
 */
export function lockHistoryFindings(history: Pick<History, 'entries'>): {
  granted: number;
  twice: string[];
  backwards: string[];
  staleRefused: number;
  /** Holders that stalled past their lease before writing. */
  stalled: number;
  /** Pairs of successive accepted writes of one lock (with different tokens) that were compared. */
  ordered: number;
} {
  // Tokens strictly increase per lock (each lock's participant keeps one counter): a token may
  // repeat across locks, never within one.
  const tokens = history.entries
    .filter((e) => e.f === 'acquire' && e.type === 'ok')
    .map((e) => `${(e.value as LockWrite).lock}:${(e.value as LockWrite).token}`);
  const twice = tokens.filter((t, i) => tokens.indexOf(t) !== i);
  const byLock = new Map<string, (LockWrite & { version: number })[]>();
  let staleRefused = 0;
  let stalled = 0;
  for (const e of history.entries) {
    if (e.f !== 'write') continue;
    if (e.type === 'invoke' && (e.value as LockWrite).stalledMs) stalled++;
    if (e.type === 'fail' && /older than token/.test(e.error ?? '')) staleRefused++;
    if (e.type !== 'ok') continue;
    const w = e.value as LockWrite & { version: number };
    if (!byLock.has(w.lock)) byLock.set(w.lock, []);
    byLock.get(w.lock)!.push(w);
  }
  const backwards: string[] = [];
  let ordered = 0;
  for (const [lock, writes] of byLock) {
    writes.sort((a, b) => a.version - b.version);
    for (let k = 1; k < writes.length; k++) {
      if (writes[k]!.token !== writes[k - 1]!.token) ordered++;
      if (BigInt(writes[k]!.token) < BigInt(writes[k - 1]!.token)) {
        backwards.push(`${lock} v${writes[k]!.version} token ${writes[k]!.token} after ${writes[k - 1]!.token}`);
      }
    }
  }
  return { granted: tokens.length, twice, backwards, staleRefused, stalled, ordered };
}
