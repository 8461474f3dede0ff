import { DEFAULT_PROTOCOL } from '../protocol/protocols/index.js';
import { createHash, randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import {
  CoordinatorCore,
  DEFAULT_COORDINATOR_TUNING,
  type CoordinatorConfig,
  type CoordinatorEffect,
  type CoordinatorEvent,
  type CoordinatorReply,
  type TransactMessage,
} from '../protocol/coordinatorCore.js';
import { LIMITS } from '../protocol/limits.js';
import { InvalidRequest, validateOps } from '../protocol/ops.js';
import type { ProtocolName, TxnOp } from '../protocol/types.js';
import { call, participantClient } from '../rpc/clients.js';
import {
  abortCodeToWire,
  opFromWire,
  opToWire,
  protocolFromWire,
  protocolToWire,
  resultFromWire,
  resultToWire,
  txnStateFromWire,
  voteFromWire,
} from '../rpc/convert.js';
import type { TxnStateResponse__Output } from '../rpc/generated/dtx/v1/TxnStateResponse.js';
import type { CoordinatorHandlers } from '../rpc/generated/dtx/v1/Coordinator.js';
import type { DecisionResponse__Output } from '../rpc/generated/dtx/v1/DecisionResponse.js';
import type { GetTransactionResponse } from '../rpc/generated/dtx/v1/GetTransactionResponse.js';
import type { ParticipantClient } from '../rpc/generated/dtx/v1/Participant.js';
import type { PrepareRequest } from '../rpc/generated/dtx/v1/PrepareRequest.js';
import type { PrepareResponse__Output } from '../rpc/generated/dtx/v1/PrepareResponse.js';
import type { ReadResponse } from '../rpc/generated/dtx/v1/ReadResponse.js';
import type { TransactRequest__Output } from '../rpc/generated/dtx/v1/TransactRequest.js';
import type { TransactResponse } from '../rpc/generated/dtx/v1/TransactResponse.js';
import { dtxV1, SERVICE_NAMES } from '../rpc/protos.js';
import { markServing, serve } from '../rpc/serve.js';
import { RpcError, toServiceError, unary } from '../rpc/status.js';
import { TickBatcher } from '../rpc/tickBatcher.js';
import { CoordinatorStore } from '../storage/coordinatorStore.js';
import { NodeStore } from '../storage/nodeStore.js';
import { adminHandlers } from './adminService.js';
import { NodeClock } from './clock.js';
import { CoreDriver } from './coreDriver.js';
import { Failpoints } from './failpoints.js';
import { NetworkFaults } from '../rpc/networkFaults.js';
import type { RunningNode } from './participantNode.js';
import { ParticipantLink } from './participantLink.js';
import { ReplyRegistry } from './replies.js';
import { startLockService } from './lockService.js';

export interface CoordinatorNodeOptions {
  id: string;
  listen: string;
  /** The address participants use to reach this coordinator (defaults to listen). */
  advertise?: string;
  dataDir: string;
  participants: Map<string, string>;
  defaultTimeoutMs: number;
  log: Logger;
  tuning?: Partial<typeof DEFAULT_COORDINATOR_TUNING>;
  /**
   * How prepares and decisions reach participants: batched over one Exchange stream per
   * participant (default), or one unary call each (for participants that implement only
   * Prepare/Commit/Abort).
   */
  transport?: 'stream' | 'unary';
  /** The commit protocol of a transaction that does not name one (default 2pc). */
  defaultProtocol?: ProtocolName;
}

/** PreCommit and state queries go one unary call each: they are off the 2pc hot path. */
const SIDE_CALL_DEADLINE_MS = 2000;
/** How long an END marker may wait for the next decision batch (losing it only re-sends a commit). */
const END_LINGER_MS = 20;

const READ_ATTEMPTS = 8;
const TXN_ID = /^[A-Za-z0-9._:@/+=-]+$/;

function checkTxnId(txn: string): string {
  if (txn.length > LIMITS.maxTxnIdBytes) {
    throw new InvalidRequest(`txn_id longer than ${LIMITS.maxTxnIdBytes} characters`);
  }
  if (!TXN_ID.test(txn)) throw new InvalidRequest(`txn_id "${txn}" may only use letters, digits and ._:@/+=-`);
  return txn;
}

function digestOf(ops: TxnOp[]): string {
  return createHash('sha256')
    .update(JSON.stringify(ops, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))
    .digest('base64url')
    .slice(0, 22);
}

/** A coordinator process: its decision log, its protocol core, the client-facing services. */
export async function startCoordinator(opts: CoordinatorNodeOptions): Promise<RunningNode> {
  const log = opts.log.child({ node: opts.id, role: 'coordinator' });
  if (opts.participants.size === 0) throw new Error('a coordinator needs at least one participant');
  const started = Date.now();
  const clock = new NodeClock();
  const failpoints = new Failpoints();
  const network = new NetworkFaults(opts.id);
  const store = new CoordinatorStore(await NodeStore.open(opts.dataDir, { id: opts.id, role: 'coordinator' }));
  const config: CoordinatorConfig = {
    ...DEFAULT_COORDINATOR_TUNING,
    ...opts.tuning,
    participants: [...opts.participants.keys()].sort(),
    participantAddrs: Object.fromEntries(opts.participants),
    selfAddr: opts.advertise ?? opts.listen,
  };
  const core = new CoordinatorCore(opts.id, config);
  const replies = new ReplyRegistry<CoordinatorReply>();
  const clients = new Map<string, ParticipantClient>(
    [...opts.participants].map(([id, addr]) => [id, participantClient(addr, [network.interceptor(id)])]),
  );
  const links = new Map<string, ParticipantLink>(
    [...clients].map(([id, client]) => [id, new ParticipantLink(id, client, log)]),
  );
  const timeoutOf = new Map<string, number>();
  const streamed = (opts.transport ?? 'stream') === 'stream';

  const noVote = (txn: string, from: string, why: string, code: 'PRECONDITION_FAILED' | 'UNAVAILABLE_PARTICIPANT') => ({
    type: 'vote' as const,
    txn,
    from,
    vote: { kind: 'NO' as const, reason: `unreachable or failed: ${why}`, code },
  });

  const send = (e: Extract<CoordinatorEffect, { type: 'send' }>): Promise<void | CoordinatorEvent> => {
    const client = clients.get(e.to);
    const link = links.get(e.to);
    if (!client || !link) throw new Error(`no address for participant ${e.to}`);
    const m = e.message;
    if (m.kind === 'prepare') {
      const req: PrepareRequest = {
        txnId: m.msg.txn,
        coordinatorId: m.msg.coordinatorId,
        coordinatorAddr: m.msg.coordinatorAddr,
        ops: m.msg.ops.map(opToWire),
        participants: m.msg.participants,
        participantAddrs: m.msg.participantAddrs,
        protocol: protocolToWire(m.msg.protocol),
        ageMs: m.msg.age.ms,
        lockWaitMs: m.msg.lockWaitMs,
      };
      const timeout = timeoutOf.get(m.msg.txn) ?? opts.defaultTimeoutMs;
      const vote = (res: PrepareResponse__Output) => ({ type: 'vote' as const, txn: m.msg.txn, from: e.to, vote: voteFromWire(res) });
      if (streamed) {
        return link.prepare(req, timeout).then(vote, (err: Error) => noVote(m.msg.txn, e.to, err.message, 'UNAVAILABLE_PARTICIPANT'));
      }
      return call<PrepareRequest, PrepareResponse__Output>(client.Prepare.bind(client), req, timeout, true).then(vote, (err: grpc.ServiceError) =>
        noVote(m.msg.txn, e.to, err.details || err.message, err.code === grpc.status.INVALID_ARGUMENT ? 'PRECONDITION_FAILED' : 'UNAVAILABLE_PARTICIPANT'),
      );
    }
    if (m.kind === 'commit') failpoints.hit('coordinator.commit.beforeSend');
    if (m.kind === 'precommit') {
      return call<{ txnId: string }, DecisionResponse__Output>(client.PreCommit.bind(client), { txnId: m.txn }, SIDE_CALL_DEADLINE_MS).then(
        (res) => ({ type: 'precommitAck' as const, txn: m.txn, from: e.to, ok: res.ok }),
        // No answer: the precommit timer decides (Skeen: commit anyway).
        (err: grpc.ServiceError) => log.info({ txn: m.txn, participant: e.to, err: err.message }, 'PreCommit not acknowledged'),
      );
    }
    if (m.kind === 'query') {
      return call<{ txnId: string; abortIfUnvoted: boolean }, TxnStateResponse__Output>(
        client.GetTxnState.bind(client),
        { txnId: m.txn, abortIfUnvoted: m.abortIfUnvoted },
        SIDE_CALL_DEADLINE_MS,
      ).then(
        (res): CoordinatorEvent => ({
          type: 'txnState',
          txn: m.txn,
          from: e.to,
          answer: {
            state: txnStateFromWire(res.state),
            protocol: protocolFromWire(res.protocol),
            participants: res.participants,
            results: res.results.map(resultFromWire),
          },
        }),
        (): CoordinatorEvent => ({ type: 'txnState', txn: m.txn, from: e.to, answer: { state: 'UNREACHABLE', protocol: null, participants: [], results: [] } }),
      );
    }
    if (m.kind === 'release') {
      const known = streamed
        ? link.release(m.txn, 5000)
        : call<{ txnId: string }, DecisionResponse__Output>(client.ReleaseReadOnly.bind(client), { txnId: m.txn }, 5000, true).then(
            (res) => res.known,
            () => null,
          );
      // No answer: the transaction's timeout aborts it.
      return known.then((k) => (k === null ? undefined : { type: 'ack' as const, txn: m.txn, from: e.to, known: k }));
    }
    if (streamed) {
      return link.decide(m.txn, m.kind === 'commit', 5000).then((acked) =>
        acked ? { type: 'ack' as const, txn: m.txn, from: e.to } : undefined,
      );
    }
    const method = m.kind === 'commit' ? client.Commit.bind(client) : client.Abort.bind(client);
    return call<{ txnId: string }, DecisionResponse__Output>(method, { txnId: m.txn }, 5000, true).then(
      () => (m.kind === 'commit' ? { type: 'ack' as const, txn: m.txn, from: e.to } : undefined),
      (err: grpc.ServiceError) => {
        log.debug({ txn: m.txn, participant: e.to, err: err.message }, `${m.kind} not delivered; will retry`);
      },
    );
  };

  const execute = (e: CoordinatorEffect): void | CoordinatorEvent | Promise<void | CoordinatorEvent> => {
    switch (e.type) {
      case 'reply':
        replies.resolve(e.to, e.reply);
        return;
      case 'lookup':
        return store.lookup(e.txn).then((record) => ({ type: 'lookupDone' as const, txn: e.txn, record }));
      case 'send':
        return send(e);
      case 'persist': {
        const commit = e.record.kind === 'decision' && e.record.record.outcome === 'COMMITTED';
        if (commit) failpoints.hit('coordinator.decision.beforePersist');
        // END only lets the log forget a finished commit: it rides in a later batch.
        return store.persist(e.record, e.sync, e.record.kind === 'end' ? END_LINGER_MS : 0).then(() => {
          if (commit) failpoints.hit('coordinator.decision.afterPersist');
          return { type: 'persisted' as const, record: e.record };
        });
      }
      case 'setTimer':
        driver.schedule(e.at, () => ({ type: 'timer', timer: e.timer }));
        return;
      case 'log':
        log[e.level]({ txn: e.txn }, e.msg);
        return;
    }
  };
  const driver = new CoreDriver<CoordinatorEvent, CoordinatorEffect>(
    (ev, now) => core.step(ev, now),
    execute,
    (e) => e.type === 'persist' && e.sync,
    clock,
    log,
  );

  const pending = await store.recoverPending();
  driver.dispatch({ type: 'recover', pending });
  if (pending.length > 0) log.info({ count: pending.length }, 're-driving decided transactions');

  const runTxn = async (
    txnIdIn: string,
    ops: TxnOp[],
    timeoutMsIn: number,
    firstAttemptMs: number,
    protocol: ProtocolName,
  ): Promise<CoordinatorReply> => {
    validateOps(ops);
    if (txnIdIn.startsWith(`${opts.id}-`)) {
      // Ids of this form are made here for callers that gave none, and their aborts are not
      // forced: running one again could commit what its caller was told was aborted.
      throw new InvalidRequest(`txn_id prefix "${opts.id}-" is reserved for ids this coordinator makes; ask GetTransaction instead`);
    }
    const txn = txnIdIn ? checkTxnId(txnIdIn) : `${opts.id}-${randomUUID()}`;
    if (timeoutMsIn > LIMITS.maxTimeoutMs) {
      throw new InvalidRequest(`timeout_ms ${timeoutMsIn} is above the limit of ${LIMITS.maxTimeoutMs}`);
    }
    const timeoutMs = timeoutMsIn > 0 ? timeoutMsIn : opts.defaultTimeoutMs;
    timeoutOf.set(txn, timeoutMs);
    const msg: TransactMessage = {
      txn,
      ops,
      age: { ms: firstAttemptMs > 0 ? firstAttemptMs : clock.now(), id: txn },
      timeoutMs,
      digest: digestOf(ops),
      clientId: txnIdIn !== '',
      protocol,
    };
    const { handle, reply } = replies.open();
    driver.dispatch({ type: 'transact', replyTo: handle, msg });
    try {
      const r = await reply;
      if (r.kind === 'rejected') throw new RpcError(grpc.status[r.status], r.message);
      return r;
    } finally {
      timeoutOf.delete(txn);
    }
  };

  const transact = async (req: TransactRequest__Output): Promise<TransactResponse> => {
    const protocol = protocolFromWire(req.protocol) ?? opts.defaultProtocol ?? DEFAULT_PROTOCOL;
    const ops = req.ops.map(opFromWire);
    const r = await runTxn(req.txnId, ops, req.timeoutMs, Number(req.firstAttemptMs), protocol);
    if (r.kind !== 'outcome') throw new RpcError(grpc.status.INTERNAL, 'unexpected reply');
    if (r.outcome === 'PENDING') {
      // nb/3pc: the coordinator could not settle it in time; the participants will.
      throw new RpcError(
        grpc.status.DEADLINE_EXCEEDED,
        `outcome of ${r.txn} unknown: ${r.reason}; its participants settle it, ask GetTransaction`,
      );
    }
    return {
      txnId: r.txn,
      outcome: r.outcome,
      reason: r.reason,
      results: r.results.map(resultToWire),
      abortCode: abortCodeToWire(r.code),
    };
  };

  const handlers: CoordinatorHandlers = {
    Transact: unary(transact),
    TransactStream: (stream) => {
      // Answers leave in completion order, coalesced per event-loop turn into few writes.
      const out = new TickBatcher<TransactResponse>((items) => {
        if (stream.cancelled || stream.destroyed) return;
        for (const r of items) stream.write(r);
      });
      let inFlight = 0;
      let ended = false;
      const settle = () => {
        inFlight--;
        if (ended && inFlight === 0) {
          out.flushNow();
          stream.end();
        }
      };
      stream.on('data', (req: TransactRequest__Output) => {
        inFlight++;
        transact(req).then(
          (res) => out.push({ ...res, requestId: req.requestId }),
          (err: unknown) => {
            const e = toServiceError(err);
            out.push({ txnId: req.txnId, requestId: req.requestId, errorCode: e.code ?? grpc.status.INTERNAL, errorMessage: e.details ?? 'failed' });
          },
        ).finally(settle);
      });
      stream.on('end', () => {
        ended = true;
        if (inFlight === 0) stream.end();
      });
      stream.on('error', () => undefined);
    },
    GetTransaction: unary(async (req): Promise<GetTransactionResponse> => {
      if (!req.txnId) throw new InvalidRequest('txn_id is required');
      const txn = checkTxnId(req.txnId);
      const { handle, reply } = replies.open();
      driver.dispatch({ type: 'query', replyTo: handle, txn });
      const r = await reply;
      if (r.kind !== 'outcome') throw new RpcError(grpc.status[r.status], r.message);
      return {
        txnId: txn,
        outcome: r.outcome,
        reason: r.reason,
        participants: r.participants,
        results: r.results.map(resultToWire),
        abortCode: abortCodeToWire(r.code),
        inProgress: r.inProgress ?? false,
      };
    }),
    Read: unary(async (req): Promise<ReadResponse> => {
      if (req.keys.length === 0) throw new InvalidRequest('read needs at least one key');
      if (req.keys.length > LIMITS.maxReadKeys) {
        throw new InvalidRequest(`too many keys: ${req.keys.length} (the limit is ${LIMITS.maxReadKeys})`);
      }
      const ops: TxnOp[] = req.keys.map((key) => ({ type: 'get', key }));
      // A read has no side effects, so a lock conflict is retried here, keeping the first
      // attempt's age so that wait-die lets it through in the end (bounded count and time).
      const firstAttempt = clock.now();
      const deadline = firstAttempt + (req.timeoutMs || opts.defaultTimeoutMs);
      // Reads run 2pc whatever the default: a read-only branch forces nothing under 2pc.
      let r = await runTxn('', ops, req.timeoutMs, firstAttempt, '2pc');
      for (let attempt = 1; attempt < READ_ATTEMPTS && r.kind === 'outcome' && r.code === 'CONFLICT'; attempt++) {
        const left = deadline - clock.now();
        if (left <= 10) break;
        await new Promise((res) => setTimeout(res, Math.min(2 ** attempt, 50)));
        r = await runTxn('', ops, left, firstAttempt, '2pc');
      }
      if (r.kind !== 'outcome') throw new RpcError(grpc.status.INTERNAL, 'unexpected reply');
      if (r.outcome !== 'COMMITTED') {
        const code = r.code === 'UNAVAILABLE_PARTICIPANT' ? grpc.status.UNAVAILABLE : grpc.status.ABORTED;
        throw new RpcError(code, `read aborted: ${r.reason}`);
      }
      return { txnId: r.txn, results: r.results.map(resultToWire) };
    }),
  };

  // The lock service (issue 6) shares this process and its LevelDB; it recovers before serving.
  const locks = await startLockService({ store: store.store, log });
  const server = await serve(opts.listen, [
    { name: SERVICE_NAMES.coordinator, definition: dtxV1.Coordinator.service, handlers },
    locks.binding,
    {
      name: SERVICE_NAMES.admin,
      definition: dtxV1.Admin.service,
      handlers: adminHandlers(() => ({
        nodeId: opts.id,
        role: 'coordinator',
        address: opts.listen,
        peers: [...opts.participants].map(([id, address]) => ({ id, address, role: 'participant' })),
        inDoubt: core.inDoubt(),
        counters: {
          ...core.counters,
          activeTxns: core.activeTxns,
          ...network.counters,
          clockOffsetMs: clock.offsetMs,
          logBatches: store.store.writer.stats.batches,
          logRecords: store.store.writer.stats.records,
          logSyncs: store.store.writer.stats.syncedBatches,
          ...locks.counters(),
        },
        uptimeMs: Date.now() - started,
        dataDir: opts.dataDir,
      }), { failpoints, network, clock }),
    },
  ]);
  markServing(server, [SERVICE_NAMES.coordinator, SERVICE_NAMES.admin, SERVICE_NAMES.locks]);
  log.info({ port: server.port, participants: config.participants, redriving: pending.length }, 'coordinator serving');

  return {
    id: opts.id,
    port: server.port,
    async stop() {
      driver.stop();
      locks.stop();
      await server.shutdown();
      for (const l of links.values()) l.close();
      for (const c of clients.values()) c.close();
      await store.store.close();
    },
  };
}
