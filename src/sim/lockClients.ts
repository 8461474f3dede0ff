import type { LeaseView } from '../protocol/leaseTable.js';
import { ownerOf } from '../protocol/routing.js';
import type { LockRuntime } from '../runtime/lockRuntime.js';
import type { ProtocolName } from '../protocol/types.js';
import { RequestError } from '../runtime/requestError.js';
import type { HistoryEntry } from '../workload/history.js';
import type { SimNetwork } from './network.js';
import type { SimNode } from './nodes.js';
import type { ClientTxn, ClientTxns } from './bankClients.js';
import type { SimWorld } from './world.js';

export const LOCK_NAMES = ['res0', 'res1'] as const;
export const lockResource = (lock: string): string => `lockres:${lock}`;

/**
 * The lock workload: clients take a lease on a named lock from the lock service (on the participant the name hashes to)
 * and, while they believe they hold it, write the resource it protects with fenced puts (each
 * put bumps the key's version: the resource's own order). Some holders stall past their lease
 * (as a paused process would) before writing: the fence must refuse them. The history feeds the
 * same checker as `dtx chaos --workload lock` (no token granted twice, tokens in the resource's
 * order); the final check compares the resource's version with the committed writes.
 */
export class LockClients {
  readonly history: Pick<HistoryEntry, 'process' | 'type' | 'f' | 'txnId' | 'value' | 'error'>[] = [];
  /** The fenced writes, by lock (their outcome is in the ClientTxn). */
  readonly writes = new Map<string, ClientTxn[]>();

  constructor(
    private readonly w: SimWorld,
    private readonly net: SimNetwork,
    private readonly txns: ClientTxns,
    private readonly o: { participants: SimNode[]; untilMs: number; protocol: () => ProtocolName },
  ) {}

  /**
   * A call to the lock service of the participant that holds `lock` (its name hashes there, as a
   * key would). On a node a coordinator passes the call on; here the client goes straight to it:
   * the router keeps no state, so the hop adds nothing to model.
   */
  private callLocks<R>(
    home: SimNode,
    o: {
      what: string;
      deadlineMs: number;
      waitForReady: boolean;
      serve: (locks: LockRuntime, respond: (r: R | RequestError) => void) => void;
      onReply: (r: R | RequestError) => void;
      onError: () => void;
    },
  ): void {
    this.net.rpc<R | RequestError>({
      from: this.txns.endpoint,
      to: home,
      deadlineMs: o.deadlineMs,
      waitForReady: o.waitForReady,
      what: o.what,
      serve: (respond) => {
        if (!home.locks) return respond(new RequestError('UNAVAILABLE', `${home.id} starting`));
        o.serve(home.locks, respond);
      },
      onReply: o.onReply,
      onError: o.onError,
    });
  }

  private homeOf(lock: string): SimNode {
    return this.o.participants.find(
      (p) =>
        p.id ===
        ownerOf(
          lock,
          this.o.participants.map((x) => x.id),
        ),
    )!;
  }

  start(client: number, atMs: number): void {
    this.w.at(atMs, () => this.acquire(client));
  }

  private acquire(client: number): void {
    const w = this.w;
    if (w.now >= this.o.untilMs) return;
    const lock = w.rng.pick(LOCK_NAMES);
    const ttlMs = w.rng.int(150, 600);
    const waitMs = 400;
    this.callLocks<LeaseView>(this.homeOf(lock), {
      deadlineMs: waitMs + 1000,
      waitForReady: true,
      what: `Acquire(${lock})`,
      serve: (locks, respond) => locks.acquire({ name: lock, owner: `lockclient${client}`, ttlMs, waitMs }, respond),
      onReply: (r) => {
        if (r instanceof RequestError) return this.again(client, w.rng.int(10, 100));
        w.stats.lockGrants++;
        this.history.push({ process: client, type: 'ok', f: 'acquire', value: { lock, token: String(r.token) } });
        w.log('lock', `lockclient${client} holds ${lock} token ${r.token} lease ${r.leaseId} for ${r.ttlMs}ms`);
        // Sometimes the holder stalls past its lease before writing (a GC pause, SIGSTOP).
        const stall = w.rng.chance(0.2) ? ttlMs + w.rng.int(10, 300) : 0;
        w.at(w.now + stall, () => this.write(client, lock, r, w.rng.int(1, 2)));
      },
      onError: () => this.again(client, w.rng.int(10, 100)),
    });
  }

  private write(client: number, lock: string, lease: LeaseView, left: number): void {
    const token = BigInt(lease.token);
    const ct = this.txns.newTxn({
      client,
      kind: 'fenced',
      prefix: 'l',
      ops: [{ type: 'put', key: lockResource(lock), value: `${lease.token}:${client}`, fence: { lock, token } }],
      protocol: this.o.protocol(),
    });
    const list = this.writes.get(lock) ?? [];
    list.push(ct);
    this.writes.set(lock, list);
    ct.onOutcome = (done) => {
      const entry = { process: client, f: 'write', txnId: done.id, value: { lock, token: String(lease.token), version: done.results?.[0]?.version ?? 0 } };
      if (done.told === 'COMMITTED') {
        this.w.stats.fencedWrites++;
        // Learnt from GetTransaction, the write carries no result: its place in the resource's
        // order is unknown (it still counts in the final version).
        this.history.push({ ...entry, type: done.results ? 'ok' : 'info' });
      } else {
        if (/older than token/.test(done.reason ?? '')) this.w.stats.staleWritesRefused++;
        this.history.push({ ...entry, type: 'fail', error: done.reason ?? '' });
      }
      if (left > 1 && done.told === 'COMMITTED') this.write(client, lock, lease, left - 1);
      else this.release(client, lease);
    };
    this.txns.submit(ct);
  }

  private release(client: number, lease: LeaseView): void {
    // Fire and forget: a lease that is not released expires.
    this.callLocks<{ released: boolean }>(this.homeOf(lease.name), {
      deadlineMs: 1000,
      waitForReady: false,
      what: `Release(${lease.name})`,
      serve: (locks, respond) => locks.release(lease.leaseId, respond),
      onReply: () => undefined,
      onError: () => undefined,
    });
    this.again(client, this.w.rng.int(0, 50));
  }

  private again(client: number, delay: number): void {
    this.w.at(this.w.now + delay, () => this.acquire(client));
  }
}
