import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { CoordinatorBatch } from './generated/dtx/v1/CoordinatorBatch.js';
import type { DecisionItem } from './generated/dtx/v1/DecisionItem.js';
import type { ParticipantBatch__Output } from './generated/dtx/v1/ParticipantBatch.js';
import type { ParticipantClient } from './generated/dtx/v1/Participant.js';
import type { PrepareRequest } from './generated/dtx/v1/PrepareRequest.js';
import type { PrepareResponse__Output } from './generated/dtx/v1/PrepareResponse.js';
import { TickBatcher } from './tickBatcher.js';
import { opsWeight } from './wireWeight.js';

type Outgoing = { prepare: PrepareRequest } | { decision: DecisionItem };

class Waiters<T> {
  private readonly map = new Map<string, ((v: T) => void)[]>();
  add(key: string, fn: (v: T) => void): void {
    const list = this.map.get(key);
    if (list) list.push(fn);
    else this.map.set(key, [fn]);
  }
  settle(key: string, v: T): void {
    const list = this.map.get(key);
    this.map.delete(key);
    for (const fn of list ?? []) fn(v);
  }
  settleAll(v: T): void {
    for (const key of [...this.map.keys()]) this.settle(key, v);
  }
  get size(): number {
    return this.map.size;
  }
}

/**
 * The coordinator's channel to one participant: one long-lived Exchange stream that
 * carries many transactions' prepares and decisions per write and brings votes and acks
 * back as they are ready. A broken stream fails everything in flight on it (a prepare
 * without an answer counts as NO; a commit is re-sent by the protocol's timer) and the
 * next message opens a new one.
 */
export class ParticipantLink {
  private stream: grpc.ClientDuplexStream<CoordinatorBatch, ParticipantBatch__Output> | null = null;
  private readonly votes = new Waiters<PrepareResponse__Output | Error>();
  /** Per transaction: the ack's `known`, or null when none came in time or the stream broke. */
  private readonly acks = new Waiters<boolean | null>();
  private readonly out = new TickBatcher<Outgoing>(
    (items) => this.write(items),
    (i) => ('prepare' in i ? opsWeight(i.prepare.ops) : 64),
  );

  constructor(
    readonly id: string,
    private readonly client: ParticipantClient,
    private readonly log: Logger,
  ) {}

  /** Transactions waiting on this stream for a vote or an ack (the Exchange queue depth). */
  get inFlight(): number {
    return this.votes.size + this.acks.size;
  }

  /** Sends a prepare; resolves with the vote, rejects if none arrives within `timeoutMs` or the stream breaks. */
  prepare(req: PrepareRequest, timeoutMs: number): Promise<PrepareResponse__Output> {
    const txn = req.txnId!;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.votes.settle(txn, new Error(`no vote from ${this.id} within ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
      this.votes.add(txn, (v) => {
        clearTimeout(timer);
        if (v instanceof Error) reject(v);
        else resolve(v);
      });
      this.out.push({ prepare: req });
    });
  }

  /** Sends an abort: nobody waits for its ack (presumed abort). */
  abort(txnId: string): void {
    this.out.push({ decision: { txnId, commit: false } });
  }

  /**
   * Sends a commit, or a read-only branch's release; resolves with the ack's `known` (for a
   * release: whether it still held its read locks), or null when none came within `timeoutMs`.
   */
  decide(txnId: string, kind: 'commit' | 'release', timeoutMs: number): Promise<boolean | null> {
    this.out.push({ decision: kind === 'commit' ? { txnId, commit: true } : { txnId, commit: false, releaseReadOnly: true } });
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.acks.settle(txnId, null), timeoutMs);
      timer.unref();
      this.acks.add(txnId, (known) => {
        clearTimeout(timer);
        resolve(known);
      });
    });
  }

  close(): void {
    this.stream?.cancel();
    this.stream = null;
  }

  private write(items: Outgoing[]): void {
    const batch: CoordinatorBatch = { prepares: [], decisions: [] };
    for (const i of items) {
      if ('prepare' in i) batch.prepares!.push(i.prepare);
      else batch.decisions!.push(i.decision);
    }
    this.open().write(batch);
  }

  private open(): grpc.ClientDuplexStream<CoordinatorBatch, ParticipantBatch__Output> {
    if (this.stream) return this.stream;
    const stream = this.client.Exchange(new grpc.Metadata({ waitForReady: true }));
    this.stream = stream;
    stream.on('data', (b: ParticipantBatch__Output) => {
      for (const v of b.votes ?? []) this.votes.settle(v.txnId, v);
      for (const a of b.acks ?? []) this.acks.settle(a.txnId, a.known);
    });
    const broken = (why: string) => {
      if (this.stream !== stream) return;
      this.stream = null;
      this.log.debug({ participant: this.id, why, inFlight: this.votes.size }, 'participant stream closed');
      this.votes.settleAll(new Error(`stream to ${this.id} broke: ${why}`));
      this.acks.settleAll(null);
    };
    stream.on('error', (err: Error) => broken(err.message));
    stream.on('end', () => broken('ended'));
    return stream;
  }
}
