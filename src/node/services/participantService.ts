import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { voteToWire } from '../../rpc/convert.js';
import type { CoordinatorBatch__Output } from '../../rpc/generated/dtx/v1/CoordinatorBatch.js';
import type { DecisionRequest__Output } from '../../rpc/generated/dtx/v1/DecisionRequest.js';
import type { DecisionResponse } from '../../rpc/generated/dtx/v1/DecisionResponse.js';
import type { ParticipantHandlers } from '../../rpc/generated/dtx/v1/Participant.js';
import type { PrepareRequest__Output } from '../../rpc/generated/dtx/v1/PrepareRequest.js';
import type { PrepareResponse } from '../../rpc/generated/dtx/v1/PrepareResponse.js';
import { bornOf, prepareFromWire, requireTxnId, txnStateToWireAnswer } from '../../rpc/peerWire.js';
import { answer, unary } from '../../rpc/status.js';
import { MAX_BATCH_ITEMS, TickBatcher } from '../../rpc/tickBatcher.js';
import { resultsWeight } from '../../rpc/wireWeight.js';
import type { ParticipantRuntime } from '../../runtime/participantRuntime.js';
import { traceOfRequest } from '../../rpc/traceHeaders.js';

type Decided = 'commit' | 'abort' | 'release';

/** Items one Exchange batch may carry: coordinators send at most MAX_BATCH_ITEMS; room for other implementations. */
export const MAX_EXCHANGE_BATCH_ITEMS = 8 * MAX_BATCH_ITEMS;

/** dtx.v1.Participant over a participant's runtime: wire conversion and validation only. */
export function participantService(rt: ParticipantRuntime, self: string, log: Logger): ParticipantHandlers {
  const prepare = async (req: PrepareRequest__Output, metadata?: grpc.Metadata): Promise<PrepareResponse> => {
    const msg = prepareFromWire(req, self);
    // A unary Prepare from another implementation may carry its trace as call metadata instead.
    if (!msg.trace && metadata) {
      const trace = traceOfRequest(null, metadata);
      if (trace) msg.trace = trace.traceparent;
    }
    return voteToWire(msg.txn, await answer((respond) => rt.serve.prepare(msg, respond)));
  };
  const decide = async (kind: Decided, txnId: string): Promise<DecisionResponse> => {
    const txn = requireTxnId(txnId);
    const r = await answer<{ known: boolean }>((respond) => rt.serve[kind]({ txn }, respond));
    return { txnId: txn, known: r.known };
  };
  const decision = (kind: Decided) => unary<DecisionRequest__Output, DecisionResponse>((req) => decide(kind, req.txnId));

  return {
    Prepare: unary<PrepareRequest__Output, PrepareResponse>((req, call) => prepare(req, call.metadata)),
    Exchange: (stream) => {
      // Votes and acks go back as each is ready, coalesced per event-loop turn.
      const out = new TickBatcher<{ vote?: PrepareResponse; ack?: DecisionResponse }>(
        (items) => {
          // Once the caller half-closed and the stream was ended, a late vote or ack is dropped: a
          // write after end() destroys the call before its status goes out (the caller then hangs
          // to its deadline; wire fuzz, seed 20261207).
          if (stream.cancelled || stream.destroyed || stream.writableEnded) return;
          stream.write({ votes: items.flatMap((i) => (i.vote ? [i.vote] : [])), acks: items.flatMap((i) => (i.ack ? [i.ack] : [])) });
        },
        (i) => (i.vote ? resultsWeight(i.vote.results, i.vote.reason) : 64),
      );
      stream.on('data', (batch: CoordinatorBatch__Output) => {
        const items = (batch.prepares?.length ?? 0) + (batch.decisions?.length ?? 0);
        if (items > MAX_EXCHANGE_BATCH_ITEMS) {
          // dtx coordinators send at most MAX_BATCH_ITEMS per batch: this sender is not one.
          const details = `an Exchange batch holds ${items} items; the limit is ${MAX_EXCHANGE_BATCH_ITEMS}`;
          stream.emit('error', Object.assign(new Error(details), { code: grpc.status.RESOURCE_EXHAUSTED, details }));
          return;
        }
        for (const p of batch.prepares ?? []) {
          prepare(p).then(
            (vote) => out.push({ vote }),
            (err: Error) => out.push({ vote: { txnId: p.txnId, vote: 'NO', reason: err.message, abortCode: 'PRECONDITION_FAILED' } }),
          );
        }
        for (const d of batch.decisions ?? []) {
          const kind: Decided = d.releaseReadOnly ? 'release' : d.commit ? 'commit' : 'abort';
          decide(kind, d.txnId).then(
            // Aborts are not acknowledged (presumed abort: nobody waits for them).
            (ack) => kind !== 'abort' && out.push({ ack }),
            (err: Error) => log.warn({ ...rt.txnFields(d.txnId), err: err.message }, `${kind} on stream failed`),
          );
        }
      });
      stream.on('end', () => stream.end());
      stream.on('error', () => undefined);
    },
    Commit: decision('commit'),
    Abort: decision('abort'),
    ReleaseReadOnly: decision('release'),
    PreCommit: unary(async (req) => {
      const txn = requireTxnId(req.txnId);
      const r = await answer<{ ok: boolean }>((respond) => rt.serve.precommit({ txn }, respond));
      return { txnId: txn, known: true, ok: r.ok };
    }),
    GetHorizon: unary(async () => {
      const r = await answer<{ horizonMs: number }>((respond) => rt.serve.horizon({}, respond));
      return { horizonMs: String(Math.floor(r.horizonMs)) };
    }),
    GetTxnState: unary(async (req) => {
      const txn = requireTxnId(req.txnId);
      return txnStateToWireAnswer(
        txn,
        await answer((respond) => rt.serve.txnState({ txn, abortIfUnvoted: req.abortIfUnvoted, ...bornOf(req.bornMs) }, respond)),
      );
    }),
  };
}
