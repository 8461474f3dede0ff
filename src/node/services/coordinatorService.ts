import { abortCodeToWire, opFromWire, protocolFromWire, resultToWire } from '../../rpc/convert.js';
import type { CoordinatorHandlers } from '../../rpc/generated/dtx/v1/Coordinator.js';
import type { GetTransactionResponse } from '../../rpc/generated/dtx/v1/GetTransactionResponse.js';
import type { ReadResponse } from '../../rpc/generated/dtx/v1/ReadResponse.js';
import type { TransactRequest__Output } from '../../rpc/generated/dtx/v1/TransactRequest.js';
import type { TransactResponse } from '../../rpc/generated/dtx/v1/TransactResponse.js';
import { answer, unary } from '../../rpc/status.js';
import type { CoordinatorRuntime, QueryAnswer, TxnAnswer } from '../../runtime/coordinatorRuntime.js';
import { serveTransactStream } from './transactStreamServer.js';
import type * as grpc from '@grpc/grpc-js';
import type { IncomingTrace } from '../../protocol/traceContext.js';
import { freshTraceparent, traceOfRequest } from '../../rpc/traceHeaders.js';

/** The caller's trace (fields, else call metadata), or a new one: every transaction's log lines carry a trace id. */
function traceOf(fields: { traceparent: string; tracestate: string } | null, metadata?: grpc.Metadata): IncomingTrace {
  return traceOfRequest(fields, metadata) ?? { traceparent: freshTraceparent() };
}
import { bornOf } from '../../rpc/peerWire.js';

function transactResponse(r: TxnAnswer): TransactResponse {
  return { txnId: r.txn, outcome: r.outcome, reason: r.reason, results: r.results.map(resultToWire), abortCode: abortCodeToWire(r.code) };
}

/** dtx.v1.Coordinator over a coordinator's runtime: wire conversion only. */
export function coordinatorService(rt: CoordinatorRuntime): CoordinatorHandlers {
  const transact = async (req: TransactRequest__Output, metadata?: grpc.Metadata): Promise<TransactResponse> => {
    const input = {
      trace: traceOf(req, metadata),
      txnId: req.txnId,
      ops: req.ops.map(opFromWire),
      timeoutMs: req.timeoutMs,
      firstAttemptMs: Number(req.firstAttemptMs),
      protocol: protocolFromWire(req.protocol),
      forwarded: req.forwarded,
    };
    return transactResponse(await answer<TxnAnswer>((respond) => rt.transact(input, respond)));
  };

  return {
    Transact: unary((req, call) => transact(req, call.metadata)),
    TransactStream: (stream) => serveTransactStream(stream, transact),
    GetTransaction: unary(async (req): Promise<GetTransactionResponse> => {
      const r = await answer<QueryAnswer>((respond) => rt.getTransaction(req.txnId, respond, req.forwarded, bornOf(req.firstAttemptMs).bornMs));
      return {
        txnId: r.txn,
        outcome: r.outcome,
        reason: r.reason,
        participants: r.participants,
        results: r.results.map(resultToWire),
        abortCode: abortCodeToWire(r.code),
        inProgress: r.inProgress,
        owner: r.owner,
      };
    }),
    Topology: unary(async () => ({ coordinatorId: rt.core.id, coordinators: rt.topology() })),
    Read: unary(async (req, call): Promise<ReadResponse> => {
      const r = await answer<TxnAnswer>((respond) => rt.read(req.keys, req.timeoutMs, respond, traceOf(null, call.metadata)));
      return { txnId: r.txn, results: r.results.map(resultToWire) };
    }),
  };
}
