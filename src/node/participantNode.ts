import { DEFAULT_PROTOCOL } from '../protocol/protocols/index.js';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { validateOps } from '../protocol/ops.js';
import {
  DEFAULT_PARTICIPANT_CONFIG,
  ParticipantCore,
  type ParticipantConfig,
  type ParticipantEffect,
  type ParticipantEvent,
  type ParticipantReply,
} from '../protocol/participantCore.js';
import { call, ClientsByAddress, coordinatorClient, participantClient } from '../rpc/clients.js';
import { opFromWire, protocolFromWire, protocolToWire, resultToWire, txnStateFromWire, txnStateToWire, voteToWire } from '../rpc/convert.js';
import type { ParticipantClient } from '../rpc/generated/dtx/v1/Participant.js';
import type { TxnStateResponse__Output } from '../rpc/generated/dtx/v1/TxnStateResponse.js';
import type { CoordinatorClient } from '../rpc/generated/dtx/v1/Coordinator.js';
import type { DecisionRequest__Output } from '../rpc/generated/dtx/v1/DecisionRequest.js';
import type { DecisionResponse } from '../rpc/generated/dtx/v1/DecisionResponse.js';
import type { GetTransactionResponse__Output } from '../rpc/generated/dtx/v1/GetTransactionResponse.js';
import type { ParticipantHandlers } from '../rpc/generated/dtx/v1/Participant.js';
import type { PrepareRequest__Output } from '../rpc/generated/dtx/v1/PrepareRequest.js';
import type { CoordinatorBatch__Output } from '../rpc/generated/dtx/v1/CoordinatorBatch.js';
import { TickBatcher } from '../rpc/tickBatcher.js';
import type { PrepareResponse } from '../rpc/generated/dtx/v1/PrepareResponse.js';
import type { TxnStateResponse } from '../rpc/generated/dtx/v1/TxnStateResponse.js';
import { dtxV1, SERVICE_NAMES } from '../rpc/protos.js';
import { markServing, serve, type RunningServer } from '../rpc/serve.js';
import { RpcError, unary } from '../rpc/status.js';
import { NodeStore } from '../storage/nodeStore.js';
import { ParticipantStore } from '../storage/participantStore.js';
import { adminHandlers } from './adminService.js';
import { NodeClock } from './clock.js';
import { CoreDriver, whenReady } from './coreDriver.js';
import { Failpoints } from './failpoints.js';
import { PLANTED_BUGS, plantedBug } from './plantedBugs.js';
import { NetworkFaults } from '../rpc/networkFaults.js';
import { ReplyRegistry } from './replies.js';

export interface ParticipantNodeOptions {
  id: string;
  listen: string;
  dataDir: string;
  log: Logger;
  config?: Partial<ParticipantConfig>;
  /** How long a commit record may wait to share a sync with the next log write (0: never). */
  commitLingerMs?: number;
}

export const DEFAULT_COMMIT_LINGER_MS = 2;

export interface RunningNode {
  id: string;
  port: number;
  stop(): Promise<void>;
}

const TXN_ID_MAX = 200;

function requireTxnId(txn: string | undefined): string {
  if (!txn) throw new RpcError(grpc.status.INVALID_ARGUMENT, 'txn_id is required');
  if (txn.length > TXN_ID_MAX) throw new RpcError(grpc.status.INVALID_ARGUMENT, 'txn_id is too long');
  return txn;
}

/** A participant process: its LevelDB shard, its protocol core, and its gRPC services. */
export async function startParticipant(opts: ParticipantNodeOptions): Promise<RunningNode> {
  const log = opts.log.child({ node: opts.id, role: 'participant' });
  const started = Date.now();
  const clock = new NodeClock();
  const failpoints = new Failpoints();
  const bug = plantedBug();
  if (bug) opts.log.warn({ node: opts.id, bug }, `PLANTED BUG ACTIVE: ${PLANTED_BUGS[bug]}`);
  const network = new NetworkFaults(opts.id);
  const store = await ParticipantStore.open(await NodeStore.open(opts.dataDir, { id: opts.id, role: 'participant' }));
  const core = new ParticipantCore(opts.id, { ...DEFAULT_PARTICIPANT_CONFIG, ...opts.config });
  const replies = new ReplyRegistry<ParticipantReply>();
  const coordinators = new ClientsByAddress<CoordinatorClient>((addr, id) => coordinatorClient(addr, [network.interceptor(id)]));
  // Peers of a transaction, dialled by the address its prepare carried (termination, 3pc backup).
  const peers = new ClientsByAddress<ParticipantClient>((addr, id) => participantClient(addr, [network.interceptor(id)]));
  const PEER_DEADLINE_MS = 2000;
  const commitLingerMs = opts.commitLingerMs ?? DEFAULT_COMMIT_LINGER_MS;

  const execute = (e: ParticipantEffect): void | ParticipantEvent | Promise<void | ParticipantEvent> => {
    switch (e.type) {
      case 'reply':
        replies.resolve(e.to, e.reply);
        return;
      case 'read':
        return whenReady(store.readForPrepare(e.txn, e.keys), ({ values, finished }) => ({
          type: 'readDone' as const,
          txn: e.txn,
          values,
          finished,
        }));
      case 'persist':
        if (bug === 'participant.voteBeforeSync' && e.record.kind === 'prepare') {
          const late = e.record;
          setTimeout(() => void store.persist(late, false).catch(() => undefined), 300);
          return { type: 'persisted' as const, record: e.record };
        }
        if (bug === 'participant.skipCommitApply' && e.record.kind === 'commit') {
          const skipped = { ...e.record, writes: [] };
          return store.persist(skipped, e.sync).then(() => ({ type: 'persisted' as const, record: e.record }));
        }
        // A commit record nobody waits on (its ack can come a moment later) may linger to
        // share the next prepare's fsync; one that frees locks others queue for goes at once.
        return store.persist(e.record, e.sync, e.record.kind === 'commit' && core.lockWaiters === 0 ? commitLingerMs : 0).then(() => {
          if (e.record.kind === 'prepare') failpoints.hit('participant.prepare.afterPersist');
          return { type: 'persisted' as const, record: e.record };
        });
      case 'setTimer':
        driver.schedule(e.at, () => ({ type: 'timer', timer: e.timer }));
        return;
      case 'inquire': {
        const c = coordinators.at(e.coordinatorId, e.coordinatorAddr);
        // Fail fast when the coordinator is down: the termination protocol can then start at once.
        return call<{ txnId: string }, GetTransactionResponse__Output>(c.GetTransaction.bind(c), { txnId: e.txn }, 3000).then(
          (res) => ({
            type: 'inquiryResult' as const,
            txn: e.txn,
            outcome:
              res.outcome === 'COMMITTED' || res.outcome === 'ABORTED'
                ? res.outcome
                : res.inProgress
                  ? ('PENDING' as const)
                  : ('UNDECIDED' as const),
          }),
          (err: grpc.ServiceError) => {
            log.warn({ txn: e.txn, coordinator: e.coordinatorId, err: err.message }, 'cannot reach coordinator for outcome');
            return { type: 'inquiryResult' as const, txn: e.txn, outcome: 'UNREACHABLE' as const };
          },
        );
      }
      case 'checkOutcome':
        return whenReady(store.outcome(e.txn), (finished) => ({ type: 'outcomeChecked' as const, txn: e.txn, replyTo: e.replyTo, finished }));
      case 'queryPeer': {
        const c = peers.at(e.to, e.addr);
        return call<{ txnId: string; abortIfUnvoted: boolean }, TxnStateResponse__Output>(
          c.GetTxnState.bind(c),
          { txnId: e.txn, abortIfUnvoted: e.abortIfUnvoted },
          PEER_DEADLINE_MS,
        ).then(
          (res) => ({ type: 'peerState' as const, txn: e.txn, from: e.to, state: txnStateFromWire(res.state), recovered: res.recovered }),
          (err: grpc.ServiceError) => {
            log.info({ txn: e.txn, peer: e.to, err: err.message }, 'peer unreachable during termination');
            return { type: 'peerState' as const, txn: e.txn, from: e.to, state: 'UNREACHABLE' as const };
          },
        );
      }
      case 'sendPeer': {
        const c = peers.at(e.to, e.addr);
        const method = { precommit: c.PreCommit, commit: c.Commit, abort: c.Abort }[e.message].bind(c);
        const sent = call<{ txnId: string }, DecisionResponse>(method, { txnId: e.txn }, PEER_DEADLINE_MS);
        if (e.message !== 'precommit') {
          // A decision to a peer only saves it a termination round; it finds out anyway.
          return sent.then(
            () => undefined,
            () => undefined,
          );
        }
        return sent.then(
          (res) => ({ type: 'peerPrecommitted' as const, txn: e.txn, from: e.to, result: res.ok ? ('ok' as const) : ('refused' as const) }),
          () => ({ type: 'peerPrecommitted' as const, txn: e.txn, from: e.to, result: 'unreachable' as const }),
        );
      }
      case 'log':
        log[e.level]({ txn: e.txn }, e.msg);
        return;
    }
  };
  const driver = new CoreDriver<ParticipantEvent, ParticipantEffect>(
    (ev, now) => core.step(ev, now),
    execute,
    (e) => e.type === 'persist',
    clock,
    log,
  );

  // Recovery comes first: prepared transactions re-take their locks before anything is served.
  const prepared = await store.recoverPrepared();
  driver.dispatch({ type: 'recover', prepared });
  if (prepared.length > 0) log.info({ count: prepared.length }, 'recovered prepared transactions');

  const decision = async (txnId: string, outcome: 'COMMITTED' | 'ABORTED'): Promise<DecisionResponse> => {
    const txn = requireTxnId(txnId);
    if (outcome === 'COMMITTED' && core.view(txn) === 'PREPARED') failpoints.hit('participant.commit.before');
    const { handle, reply } = replies.open();
    driver.dispatch({ type: 'decision', replyTo: handle, txn, outcome });
    const r = await reply;
    return { txnId: txn, known: r.kind === 'ack' ? r.known : true };
  };
  const release = async (txnId: string): Promise<DecisionResponse> => {
    const txn = requireTxnId(txnId);
    const { handle, reply } = replies.open();
    driver.dispatch({ type: 'release', replyTo: handle, txn });
    const r = await reply;
    return { txnId: txn, known: r.kind === 'ack' && r.known };
  };
  const decide = (outcome: 'COMMITTED' | 'ABORTED') =>
    unary<DecisionRequest__Output, DecisionResponse>((req) => decision(req.txnId, outcome));

  const prepare = async (req: PrepareRequest__Output): Promise<PrepareResponse> => {
      const txn = requireTxnId(req.txnId);
      const ops = req.ops.map(opFromWire);
      validateOps(ops);
      if (!req.coordinatorAddr) throw new RpcError(grpc.status.INVALID_ARGUMENT, 'coordinator_addr is required');
      if (req.participants.length > 0 && !req.participants.includes(opts.id)) {
        throw new RpcError(
          grpc.status.FAILED_PRECONDITION,
          `prepare for participants ${req.participants.join(',')} reached participant ${opts.id}: misrouted`,
        );
      }
      const { handle, reply } = replies.open();
      driver.dispatch({
        type: 'prepare',
        replyTo: handle,
        msg: {
          txn,
          coordinatorId: req.coordinatorId,
          coordinatorAddr: req.coordinatorAddr,
          ops,
          participants: req.participants,
          participantAddrs: req.participantAddrs,
          protocol: protocolFromWire(req.protocol) ?? DEFAULT_PROTOCOL,
          age: { ms: Number(req.ageMs), id: txn },
          lockWaitMs: Math.min(req.lockWaitMs, 60_000),
        },
      });
      // Queued for a lock: a commit record that lingers may be what holds it.
      if (core.lockWaiters > 0) store.store.writer.flushLingering();
      const r = await reply;
      if (r.kind !== 'vote') throw new RpcError(grpc.status.INTERNAL, 'prepare answered with an ack');
      return voteToWire(txn, r.vote);
  };

  const handlers: ParticipantHandlers = {
    Prepare: unary<PrepareRequest__Output, PrepareResponse>(prepare),
    Exchange: (stream) => {
      // Votes and acks go back as each is ready, coalesced per event-loop turn.
      const out = new TickBatcher<{ vote?: PrepareResponse; ack?: DecisionResponse }>((items) => {
        if (stream.cancelled || stream.destroyed) return;
        stream.write({ votes: items.flatMap((i) => (i.vote ? [i.vote] : [])), acks: items.flatMap((i) => (i.ack ? [i.ack] : [])) });
      });
      stream.on('data', (batch: CoordinatorBatch__Output) => {
        for (const p of batch.prepares ?? []) {
          prepare(p).then(
            (vote) => out.push({ vote }),
            (err: Error) => out.push({ vote: { txnId: p.txnId, vote: 'NO', reason: err.message, abortCode: 'PRECONDITION_FAILED' } }),
          );
        }
        for (const d of batch.decisions ?? []) {
          if (d.releaseReadOnly) {
            release(d.txnId).then(
              (ack) => out.push({ ack }),
              (err: Error) => log.warn({ txn: d.txnId, err: err.message }, 'release on stream failed'),
            );
            continue;
          }
          decision(d.txnId, d.commit ? 'COMMITTED' : 'ABORTED').then(
            (ack) => d.commit && out.push({ ack }),
            (err: Error) => log.warn({ txn: d.txnId, err: err.message }, 'decision on stream failed'),
          );
        }
      });
      stream.on('end', () => stream.end());
      stream.on('error', () => undefined);
    },
    Commit: decide('COMMITTED'),
    Abort: decide('ABORTED'),
    ReleaseReadOnly: unary<DecisionRequest__Output, DecisionResponse>((req) => release(req.txnId)),
    PreCommit: unary<DecisionRequest__Output, DecisionResponse>(async (req) => {
      const txn = requireTxnId(req.txnId);
      const { handle, reply } = replies.open();
      driver.dispatch({ type: 'precommit', replyTo: handle, txn });
      const r = await reply;
      if (r.kind !== 'precommitAck') throw new RpcError(grpc.status.INTERNAL, 'PreCommit answered with something else');
      return { txnId: txn, known: true, ok: r.ok };
    }),
    GetTxnState: unary(async (req): Promise<TxnStateResponse> => {
      const txn = requireTxnId(req.txnId);
      const { handle, reply } = replies.open();
      driver.dispatch({ type: 'stateQuery', replyTo: handle, txn, abortIfUnvoted: req.abortIfUnvoted });
      const r = await reply;
      if (r.kind !== 'state') throw new RpcError(grpc.status.INTERNAL, 'GetTxnState answered with something else');
      return {
        txnId: txn,
        state: txnStateToWire(r.state),
        protocol: r.protocol ? protocolToWire(r.protocol) : 'PROTOCOL_UNSPECIFIED',
        participants: r.participants,
        results: r.results.map(resultToWire),
        recovered: r.recovered,
      };
    }),
  };

  const server: RunningServer = await serve(opts.listen, [
    { name: SERVICE_NAMES.participant, definition: dtxV1.Participant.service, handlers },
    {
      name: SERVICE_NAMES.admin,
      definition: dtxV1.Admin.service,
      handlers: adminHandlers(() => ({
        nodeId: opts.id,
        role: 'participant',
        address: opts.listen,
        peers: coordinators.addresses().map((address) => ({ id: '', address, role: 'coordinator' })),
        inDoubt: core.inDoubt(),
        counters: {
          ...core.counters,
          activeTxns: core.activeTxns,
          lockedKeys: core.lockedKeys,
          ...network.counters,
          clockOffsetMs: clock.offsetMs,
          logBatches: store.store.writer.stats.batches,
          logRecords: store.store.writer.stats.records,
          logSyncs: store.store.writer.stats.syncedBatches,
        },
        uptimeMs: Date.now() - started,
        dataDir: opts.dataDir,
      }), { failpoints, network, clock }),
    },
  ]);
  markServing(server, [SERVICE_NAMES.participant, SERVICE_NAMES.admin]);
  log.info({ port: server.port, dataDir: opts.dataDir, inDoubt: prepared.length }, 'participant serving');

  return {
    id: opts.id,
    port: server.port,
    async stop() {
      driver.stop();
      await server.shutdown();
      coordinators.closeAll();
      peers.closeAll();
      await store.store.close();
    },
  };
}
