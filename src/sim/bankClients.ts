import { ownerOf } from '../protocol/routing.js';
import { PROTOCOLS, type AbortCode, type NodeId, type OpResult, type Outcome, type ProtocolName, type TxnOp } from '../protocol/types.js';
import type { CoordinatorRuntime, QueryAnswer, TransactInput, TxnAnswer } from '../runtime/coordinatorRuntime.js';
import { RequestError } from '../runtime/requestError.js';
import { describeOps } from './describe.js';
import type { SimNetwork } from './network.js';
import type { SimNode } from './nodes.js';
import { COMMITTED_STAT, type ProtocolMode } from './options.js';
import type { Prng } from './prng.js';
import type { Endpoint, SimWorld } from './world.js';

export const INITIAL_BALANCE = 50n;
export const CLIENT = 'client';

/** One transaction a simulated client runs, until it learns the outcome. */
export interface ClientTxn {
  id: string;
  client: number;
  kind: 'transfer' | 'audit' | 'fenced';
  input: TransactInput;
  protocol: ProtocolName;
  /** The participants its ops route to (the coordinator's branches). */
  participants: NodeId[];
  deltas: Map<string, bigint>;
  told: Outcome | null;
  code?: AbortCode | undefined;
  reason?: string;
  results: OpResult[] | null;
  submits: number;
  queries: number;
  conflictRetries: number;
  /** The op results of the last Transact answered COMMITTED with one result per op (scenarios check it). */
  transactResults?: OpResult[];
  /** Called once the outcome is known. */
  onOutcome?: (ct: ClientTxn) => void;
  /** Refused as outside the retention window (its outcome is no longer kept): the client gives up on it. */
  retired?: boolean;
}

/** The words every node's retention refusal carries (retention.ts outsideWindowMessage). */
const RETIRED = 'outside the retention window';

/** What clients need: the coordinator, and checks made when it answers. */
export interface ClientSide {
  /** The coordinator a call goes to (one of several: any of them serves it). */
  coordinator(): SimNode;
  participantIds: string[];
  /** Where a key lives now (with moving shards: the newest map; else the first map). */
  ownerOfKey?: (key: string) => string;
  /** The coordinator answered a transact (strict persist-before-reply check). */
  onAnswer(ct: ClientTxn, r: TxnAnswer): void;
}

/**
 * The clients' side of the simulation: one endpoint (clients never crash), the transactions
 * they ran, and how a client learns an outcome (retry the same id, or ask GetTransaction).
 */
export class ClientTxns {
  readonly endpoint: Endpoint = { id: CLIENT, up: true, inc: 0, pausedUntil: 0, inbound: new Map() };
  readonly txns = new Map<string, ClientTxn>();
  private counter = 0;
  /**
   * Retention: a third of the ids told an outcome are sent again this long after (past the
   * window and its grace, when their records may be gone): the answer must be the same outcome or
   * the refusal, never a second run. null: no late retries.
   */
  lateRetryAfterMs: number | null = null;
  readonly lateRetries = { sent: 0 };

  constructor(
    private readonly w: SimWorld,
    private readonly net: SimNetwork,
    private readonly side: ClientSide,
  ) {}

  newTxn(o: {
    client: number;
    kind: ClientTxn['kind'];
    ops: TxnOp[];
    protocol: ProtocolName;
    firstAttemptMs?: number;
    deltas?: Map<string, bigint>;
    conflictRetries?: number;
    prefix?: string;
    /** A scenario names its transactions. */
    id?: string;
  }): ClientTxn {
    const id = o.id ?? `${o.prefix ?? 't'}${++this.counter}`;
    const ct: ClientTxn = {
      id,
      client: o.client,
      kind: o.kind,
      // At least 1: on the wire 0 means "no first attempt given" (a retry of t=0 would look new).
      input: { txnId: id, ops: o.ops, timeoutMs: this.w.rng.int(200, 1500), firstAttemptMs: o.firstAttemptMs ?? Math.max(1, this.w.now), protocol: o.protocol },
      protocol: o.protocol,
      // As routed now; a prepare that names others replaces it (the checkers follow prepares).
      participants: [...new Set(o.ops.map((op) => this.side.ownerOfKey?.(op.key) ?? ownerOf(op.key, this.side.participantIds)))].sort(),
      deltas: o.deltas ?? new Map<string, bigint>(),
      told: null,
      results: null,
      submits: 0,
      queries: 0,
      conflictRetries: o.conflictRetries ?? 0,
    };
    this.txns.set(id, ct);
    this.w.log(CLIENT, `client${ct.client} starts ${id} ${ct.protocol} ${ct.kind} ${describeOps(o.ops)}`);
    return ct;
  }

  /** A client's call to the coordinator node, served by its runtimes of the moment. */
  callCoordinator<R>(o: {
    what: string;
    deadlineMs: number;
    waitForReady?: boolean;
    serve: (runtimes: { coordinator: CoordinatorRuntime }, respond: (r: R | RequestError) => void) => void;
    onReply: (r: R | RequestError) => void;
    onError: () => void;
  }): void {
    const c = this.side.coordinator();
    this.net.rpc<R | RequestError>({
      from: this.endpoint,
      to: c,
      deadlineMs: o.deadlineMs,
      waitForReady: o.waitForReady ?? true,
      what: o.what,
      serve: (respond) => {
        if (!c.coordinator) return respond(new RequestError('UNAVAILABLE', 'coordinator starting'));
        o.serve({ coordinator: c.coordinator }, respond);
      },
      onReply: o.onReply,
      onError: o.onError,
    });
  }

  submit(ct: ClientTxn): void {
    ct.submits++;
    this.callCoordinator<TxnAnswer>({
      what: `Transact(${ct.id})`,
      deadlineMs: ct.input.timeoutMs + 1000,
      serve: ({ coordinator }, respond) =>
        coordinator.transact(structuredClone(ct.input), (r) => {
          if (!(r instanceof RequestError)) this.side.onAnswer(ct, r);
          respond(r);
        }),
      onReply: (r) => this.answer(ct, r, 'transact'),
      onError: () => this.unknown(ct),
    });
  }

  query(ct: ClientTxn): void {
    ct.queries++;
    this.callCoordinator<QueryAnswer>({
      what: `GetTransaction(${ct.id})`,
      deadlineMs: 2000,
      // Half the questions say when the id first ran (as DtxClient can), half do not.
      serve: ({ coordinator }, respond) => coordinator.query(ct.id, respond, false, ct.queries % 2 === 0 ? ct.input.firstAttemptMs : undefined),
      onReply: (r) => this.answer(ct, r, 'query'),
      onError: () => this.unknown(ct),
    });
  }

  /** The call broke or the outcome is pending: retry with the same id, or ask for the outcome. */
  private unknown(ct: ClientTxn): void {
    if (ct.told !== null || ct.retired) return;
    this.w.at(this.w.now + this.w.rng.int(50, 400), () => {
      if (ct.told !== null) return;
      if (this.w.rng.chance(0.5)) this.submit(ct);
      else this.query(ct);
    });
  }

  private answer(ct: ClientTxn, r: TxnAnswer | QueryAnswer | RequestError, via: 'transact' | 'query'): void {
    const w = this.w;
    if (r instanceof RequestError) {
      if (r.code === 'RESOURCE_EXHAUSTED' || r.code === 'DEADLINE_EXCEEDED' || r.code === 'UNAVAILABLE') return this.unknown(ct);
      if (r.code === 'FAILED_PRECONDITION' && r.message.includes(RETIRED)) {
        // Not an outcome: the id is too old to be settled or run again. The checkers judge it by the logs.
        if (ct.told === null && !ct.retired) w.log(CLIENT, `client${ct.client} gave up on ${ct.id}: ${r.message}`);
        ct.retired = true;
        return;
      }
      return w.fail('client-protocol', `${ct.id}: ${r.code}: ${r.message}`);
    }
    if (r.outcome === 'PENDING') return this.unknown(ct);
    const outcome = r.outcome;
    // TransactResponse: "one result per op, in order (only when COMMITTED)". GetTransaction
    // promises none: a coordinator that found the outcome from the participants has none.
    const ops = ct.input.ops;
    const complete = r.results.length === ops.length && ops.every((_, i) => r.results[i] != null);
    if (outcome === 'COMMITTED' && via === 'transact' && !complete) {
      const have = ops.filter((_, i) => r.results[i] != null).length;
      w.fail('client-protocol', `Transact(${ct.id}) (${ct.protocol}) answered COMMITTED with ${have} of ${ops.length} op results`);
    }
    if (outcome === 'COMMITTED' && via === 'transact' && complete) ct.transactResults = r.results;
    if (ct.told !== null) {
      // A duplicate answer. A read-only txn's unforced record may be lost (it then reads as
      // aborted, which loses nothing); a writing txn's outcome must never change.
      if (ct.told !== outcome && ct.kind !== 'audit') w.fail('client-outcome-stable', `client of ${ct.id} was told ${ct.told}, then ${outcome} (${r.reason})`);
      return;
    }
    ct.told = outcome;
    const late = this.lateRetryAfterMs;
    if (late !== null && ct.kind === 'transfer' && w.rng.chance(0.33)) {
      w.at(w.now + late + w.rng.int(0, late), () => {
        this.lateRetries.sent++;
        // A retry of the request, or a question about it (with or without its first attempt).
        const ask = w.rng.chance(0.5);
        w.log(CLIENT, `client${ct.client} ${ask ? 'asks about' : 'retries'} ${ct.id} late`);
        if (ask) this.query(ct);
        else this.submit(ct);
      });
    }
    ct.code = r.code;
    ct.reason = r.reason;
    if (outcome === 'COMMITTED' && complete) ct.results = r.results;
    w.log(CLIENT, `client${ct.client} told ${ct.id} ${outcome}${r.reason ? ` (${r.code ?? ''}: ${r.reason})` : ''}`);
    ct.onOutcome?.(ct);
  }
}

/**
 * The bank workload: closed-loop clients move money between accounts spread over the
 * participants (transfers, bounded at 0) and read every account at once (audits: every read
 * must sum to the total).
 */
export class BankClients {
  readonly accounts: string[] = [];
  readonly total: bigint;

  constructor(
    private readonly w: SimWorld,
    private readonly txns: ClientTxns,
    private readonly o: { participantIds: string[]; protocolMode: ProtocolMode; protocolRng: Prng; untilMs: number; perParticipant: number },
  ) {
    const perOwner = new Map<string, number>();
    for (let i = 0; this.accounts.length < o.perParticipant * o.participantIds.length && i < 100_000; i++) {
      const k = `acct${i}`;
      const own = ownerOf(k, o.participantIds);
      if ((perOwner.get(own) ?? 0) < o.perParticipant) {
        perOwner.set(own, (perOwner.get(own) ?? 0) + 1);
        this.accounts.push(k);
      }
    }
    this.total = INITIAL_BALANCE * BigInt(this.accounts.length);
  }

  start(client: number, atMs: number): void {
    this.w.at(atMs, () => this.next(client, null));
  }

  private next(client: number, retryOf: ClientTxn | null): void {
    const { w } = this;
    if (w.now >= this.o.untilMs) return;
    const r = w.rng;
    let ct: ClientTxn;
    // A retry runs the same protocol and keeps its age (so that wait-die lets it through).
    const protocol: ProtocolName = retryOf ? retryOf.protocol : this.o.protocolMode === 'mixed' ? this.o.protocolRng.pick(PROTOCOLS) : this.o.protocolMode;
    if (retryOf) {
      ct = this.txns.newTxn({
        client,
        kind: retryOf.kind,
        ops: retryOf.input.ops,
        protocol,
        firstAttemptMs: retryOf.input.firstAttemptMs,
        deltas: retryOf.deltas,
        conflictRetries: retryOf.conflictRetries + 1,
      });
    } else if (r.chance(0.25)) {
      ct = this.txns.newTxn({ client, kind: 'audit', ops: this.accounts.map((key) => ({ type: 'get', key })), protocol });
    } else {
      const from = r.pick(this.accounts);
      let to = r.pick(this.accounts);
      while (to === from) to = r.pick(this.accounts);
      const amt = BigInt(r.int(1, 30));
      ct = this.txns.newTxn({
        client,
        kind: 'transfer',
        ops: [
          { type: 'add', key: from, delta: -amt, min: 0n },
          { type: 'add', key: to, delta: amt },
        ],
        protocol,
        deltas: new Map([
          [from, -amt],
          [to, amt],
        ]),
      });
    }
    if (ct.kind === 'transfer') w.stats.transfers++;
    else w.stats.audits++;
    ct.onOutcome = (done) => this.finished(done);
    this.txns.submit(ct);
  }

  private finished(ct: ClientTxn): void {
    const w = this.w;
    if (ct.kind === 'audit') {
      if (ct.told === 'COMMITTED' && ct.results) this.checkAudit(ct);
      else if (ct.told === 'COMMITTED') w.stats.auditsUnread++;
    } else if (ct.told === 'COMMITTED') {
      w.stats.committed++;
      w.stats[COMMITTED_STAT[ct.protocol]]++;
    } else {
      w.stats.aborted++;
    }
    const conflict = ct.told === 'ABORTED' && (ct.code === 'CONFLICT' || ct.code === 'TIMED_OUT' || ct.code === 'UNAVAILABLE_PARTICIPANT');
    if (conflict && ct.conflictRetries < 3) w.at(w.now + w.rng.int(1, 30), () => this.next(ct.client, ct));
    else w.at(w.now + w.rng.int(0, 60), () => this.next(ct.client, null));
  }

  /** Every committed audit read one snapshot: its reads sum to the total, none below 0. */
  checkAudit(ct: ClientTxn): void {
    this.w.stats.auditsChecked++;
    let sum = 0n;
    const parts: string[] = [];
    for (const res of ct.results ?? []) {
      const v = BigInt(res.value === '' ? '0' : res.value);
      parts.push(`${res.key}=${v}`);
      if (v < 0n) this.w.fail('bank-read', `audit ${ct.id} read ${res.key} = ${v} < 0`);
      sum += v;
    }
    if (sum !== this.total) this.w.fail('bank-read', `audit ${ct.id} read total ${sum}, expected ${this.total}: ${parts.join(' ')}`);
  }
}
