import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { CallFailure, CallOptions, CallResult, NodeRef, PeerCalls, PeerMethod, Transport } from '../runtime/transport.js';
import { call, ClientsByAddress, coordinatorClient, participantClient } from './clients.js';
import { voteFromWire } from './convert.js';
import type { CoordinatorClient } from './generated/dtx/v1/Coordinator.js';
import type { DecisionResponse__Output } from './generated/dtx/v1/DecisionResponse.js';
import type { GetTransactionResponse__Output } from './generated/dtx/v1/GetTransactionResponse.js';
import type { ParticipantClient } from './generated/dtx/v1/Participant.js';
import type { PrepareRequest } from './generated/dtx/v1/PrepareRequest.js';
import type { PrepareResponse__Output } from './generated/dtx/v1/PrepareResponse.js';
import type { HorizonResponse__Output } from './generated/dtx/v1/HorizonResponse.js';
import type { TxnStateResponse__Output } from './generated/dtx/v1/TxnStateResponse.js';
import type { NetworkFaults } from './networkFaults.js';
import type { DialSecurity } from './dial.js';
import { ParticipantLink } from './participantLink.js';
import { forwardedReplyFromWire, forwardedTransactToWire, outcomeFromWire, prepareToWire, txnStateFromWireAnswer } from './peerWire.js';
import type { TransactRequest } from './generated/dtx/v1/TransactRequest.js';
import type { TransactResponse__Output } from './generated/dtx/v1/TransactResponse.js';
import type { CoordinatorReply } from '../protocol/coordinatorCore.js';

/** The one mapping of gRPC failures to what the runtime acts on. */
export function callFailure(err: unknown): { failure: CallFailure; message: string } {
  const e = err as Partial<grpc.ServiceError>;
  const message = e.details || (err instanceof Error ? err.message : String(err));
  switch (e.code) {
    case grpc.status.INVALID_ARGUMENT:
      return { failure: 'INVALID_ARGUMENT', message };
    case grpc.status.DEADLINE_EXCEEDED:
      return { failure: 'DEADLINE_EXCEEDED', message };
    case grpc.status.RESOURCE_EXHAUSTED:
    case grpc.status.FAILED_PRECONDITION:
    case grpc.status.PERMISSION_DENIED:
    case grpc.status.UNAUTHENTICATED:
    case grpc.status.UNIMPLEMENTED:
      return { failure: 'REFUSED', message };
    default:
      return { failure: 'UNAVAILABLE', message };
  }
}

/** The owner refused a forwarded request: relayed to the client as it is; anything else is an owner not reached. */
function refusalOf(txn: string, err: unknown): CoordinatorReply {
  const e = err as Partial<grpc.ServiceError>;
  const message = e.details || (err instanceof Error ? err.message : String(err));
  if (e.code === grpc.status.RESOURCE_EXHAUSTED) return { kind: 'rejected', txn, status: 'RESOURCE_EXHAUSTED', message };
  if (e.code === grpc.status.FAILED_PRECONDITION || e.code === grpc.status.INVALID_ARGUMENT)
    return { kind: 'rejected', txn, status: 'FAILED_PRECONDITION', message };
  throw err instanceof Error ? err : new Error(message);
}

export interface GrpcTransportOptions {
  /** The injected network faults on this node's outgoing calls; null on a node without fault injection. */
  network: NetworkFaults | null;
  /** What this node presents and trusts when it calls a peer. */
  dial: DialSecurity;
  log: Logger;
  /**
   * Prepares and decisions to a participant ride one long-lived Exchange stream per participant
   * (a coordinator's default), or go one unary call each (participants that implement only the
   * unary RPCs, and participant-to-participant traffic).
   */
  streams: boolean;
  /** Sees every call that brought no answer (a node's metrics). */
  onCallFailure?: (method: PeerMethod, failure: CallFailure) => void;
}

/**
 * The runtime's transport over dtx.v1 gRPC. Requests and answers are converted here (peerWire.ts);
 * a failure is mapped once (callFailure) and a malformed answer counts as no answer.
 */
export class GrpcTransport implements Transport {
  private readonly participants: ClientsByAddress<ParticipantClient>;
  private readonly coordinators: ClientsByAddress<CoordinatorClient>;
  private readonly links = new Map<string, ParticipantLink>();

  constructor(private readonly o: GrpcTransportOptions) {
    // Every peer must hold the certificate of the node it is dialled as (when the cluster runs TLS).
    const opts = (id: string) => ({ interceptors: o.network ? [o.network.interceptor(id)] : [], expectNodeId: id });
    this.participants = new ClientsByAddress((addr, id) => participantClient(addr, o.dial, opts(id)));
    // A coordinator forwards to the owner of an id: after the owner restarts, reconnect within a
    // quarter second rather than the default second of backoff.
    this.coordinators = new ClientsByAddress((addr, id) => coordinatorClient(addr, o.dial, { ...opts(id), channel: { 'grpc.max_reconnect_backoff_ms': 250 } }));
  }

  /** Addresses this node has dialled (Admin.Status lists them). */
  dialled(): { coordinators: string[]; participants: string[] } {
    return { coordinators: this.coordinators.addresses(), participants: this.participants.addresses() };
  }

  /** Transactions in flight on each participant's Exchange stream, by participant id. */
  exchangeInFlight(): Map<string, number> {
    const out = new Map<string, number>();
    for (const l of this.links.values()) out.set(l.id, (out.get(l.id) ?? 0) + l.inFlight);
    return out;
  }

  call<M extends PeerMethod>(to: NodeRef, method: M, req: PeerCalls[M]['req'], opts: CallOptions, done: (r: CallResult<PeerCalls[M]['res']>) => void): void {
    const answered = (p: Promise<PeerCalls[M]['res']>): void => {
      p.then(
        (value) => done({ ok: true, value }),
        (err: unknown) => {
          const failed = callFailure(err);
          this.o.onCallFailure?.(method, failed.failure);
          done({ ok: false, ...failed });
        },
      );
    };
    let sent: Promise<PeerCalls[M]['res']>;
    try {
      sent = this.send(to, method, req, opts) as Promise<PeerCalls[M]['res']>;
    } catch (err) {
      // A channel that cannot even be made (an address grpc-js cannot parse) is a peer not reached, never a node failure.
      sent = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    answered(sent);
  }

  private send(to: NodeRef, method: PeerMethod, req: PeerCalls[PeerMethod]['req'], opts: CallOptions): Promise<PeerCalls[PeerMethod]['res']> {
    const c = this.participants.at(to.id, to.addr);
    const { deadlineMs, waitForReady } = opts;
    const txnId = (req as { txn: string }).txn;
    switch (method) {
      case 'prepare': {
        const wire: PrepareRequest = prepareToWire(req as PeerCalls['prepare']['req']);
        const vote = this.o.streams
          ? this.link(to).prepare(wire, deadlineMs)
          : call<PrepareRequest, PrepareResponse__Output>(c.Prepare.bind(c), wire, deadlineMs, waitForReady);
        return vote.then(voteFromWire);
      }
      case 'commit':
      case 'release': {
        if (this.o.streams) {
          return this.link(to)
            .decide(txnId, method, deadlineMs)
            .then((known) => {
              if (known === null) throw Object.assign(new Error(`no ack from ${to.id} within ${deadlineMs} ms`), { code: grpc.status.DEADLINE_EXCEEDED });
              return { known };
            });
        }
        const rpc = method === 'commit' ? c.Commit.bind(c) : c.ReleaseReadOnly.bind(c);
        return call<{ txnId: string }, DecisionResponse__Output>(rpc, { txnId }, deadlineMs, waitForReady).then((r) => ({ known: r.known }));
      }
      case 'abort':
        if (this.o.streams) {
          this.link(to).abort(txnId);
          return Promise.resolve({ known: false });
        }
        return call<{ txnId: string }, DecisionResponse__Output>(c.Abort.bind(c), { txnId }, deadlineMs, waitForReady).then((r) => ({ known: r.known }));
      case 'precommit':
        return call<{ txnId: string }, DecisionResponse__Output>(c.PreCommit.bind(c), { txnId }, deadlineMs, waitForReady).then((r) => ({ ok: r.ok }));
      case 'horizon':
        return call<object, HorizonResponse__Output>(c.GetHorizon.bind(c), {}, deadlineMs, waitForReady).then((r) => ({ horizonMs: Number(r.horizonMs) }));
      case 'txnState': {
        const q = req as PeerCalls['txnState']['req'];
        return call<{ txnId: string; abortIfUnvoted: boolean; bornMs: number }, TxnStateResponse__Output>(
          c.GetTxnState.bind(c),
          { txnId: q.txn, abortIfUnvoted: q.abortIfUnvoted, bornMs: q.bornMs ?? 0 },
          deadlineMs,
          waitForReady,
        ).then(txnStateFromWireAnswer);
      }
      case 'outcome': {
        const coordinator = this.coordinators.at(to.id, to.addr);
        const q = req as PeerCalls['outcome']['req'];
        return call<{ txnId: string; forwarded: boolean; firstAttemptMs: number }, GetTransactionResponse__Output>(
          coordinator.GetTransaction.bind(coordinator),
          { txnId, forwarded: q.forwarded ?? false, firstAttemptMs: q.bornMs ?? 0 },
          deadlineMs,
          waitForReady,
        ).then(outcomeFromWire);
      }
      case 'transact': {
        const coordinator = this.coordinators.at(to.id, to.addr);
        const fwd = req as PeerCalls['transact']['req'];
        return call<TransactRequest, TransactResponse__Output>(
          coordinator.Transact.bind(coordinator),
          forwardedTransactToWire(fwd),
          deadlineMs,
          waitForReady,
        ).then(
          (res) => forwardedReplyFromWire(fwd.txn, res),
          (err: unknown) => refusalOf(fwd.txn, err),
        );
      }
    }
  }

  private link(to: NodeRef): ParticipantLink {
    let l = this.links.get(to.addr);
    if (!l) {
      l = new ParticipantLink(to.id, this.participants.at(to.id, to.addr), this.o.log);
      this.links.set(to.addr, l);
    }
    return l;
  }

  close(): void {
    for (const l of this.links.values()) l.close();
    this.participants.closeAll();
    this.coordinators.closeAll();
  }
}
