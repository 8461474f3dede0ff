import * as grpc from '@grpc/grpc-js';
import { abortCodeToWire, opFromWire, protocolFromWire, resultToWire } from '../../rpc/convert.js';
import type { CoordinatorHandlers } from '../../rpc/generated/dtx/v1/Coordinator.js';
import type { GetTransactionResponse } from '../../rpc/generated/dtx/v1/GetTransactionResponse.js';
import type { ReadResponse } from '../../rpc/generated/dtx/v1/ReadResponse.js';
import type { TransactRequest__Output } from '../../rpc/generated/dtx/v1/TransactRequest.js';
import type { TransactResponse } from '../../rpc/generated/dtx/v1/TransactResponse.js';
import { answer, toServiceError, unary } from '../../rpc/status.js';
import { TickBatcher } from '../../rpc/tickBatcher.js';
import type { CoordinatorRuntime, QueryAnswer, TxnAnswer } from '../../runtime/coordinatorRuntime.js';

function transactResponse(r: TxnAnswer): TransactResponse {
  return { txnId: r.txn, outcome: r.outcome, reason: r.reason, results: r.results.map(resultToWire), abortCode: abortCodeToWire(r.code) };
}

/** dtx.v1.Coordinator over a coordinator's runtime: wire conversion only. */
export function coordinatorService(rt: CoordinatorRuntime): CoordinatorHandlers {
  const transact = async (req: TransactRequest__Output): Promise<TransactResponse> => {
    const input = {
      txnId: req.txnId,
      ops: req.ops.map(opFromWire),
      timeoutMs: req.timeoutMs,
      firstAttemptMs: Number(req.firstAttemptMs),
      protocol: protocolFromWire(req.protocol),
    };
    return transactResponse(await answer<TxnAnswer>((respond) => rt.transact(input, respond)));
  };

  return {
    Transact: unary(transact),
    TransactStream: (stream) => {
      // Answers leave in completion order, coalesced per event-loop turn into few writes.
      const out = new TickBatcher<TransactResponse>((items) => {
        if (stream.cancelled || stream.destroyed) return;
        for (const r of items) stream.write(r);
      });
      let inFlight = 0;
      let ended = false;
      const settle = (): void => {
        inFlight--;
        if (ended && inFlight === 0) {
          out.flushNow();
          stream.end();
        }
      };
      stream.on('data', (req: TransactRequest__Output) => {
        inFlight++;
        transact(req)
          .then(
            (res) => out.push({ ...res, requestId: req.requestId }),
            (err: unknown) => {
              const e = toServiceError(err);
              out.push({ txnId: req.txnId, requestId: req.requestId, errorCode: e.code ?? grpc.status.INTERNAL, errorMessage: e.details ?? 'failed' });
            },
          )
          .finally(settle);
      });
      stream.on('end', () => {
        ended = true;
        if (inFlight === 0) stream.end();
      });
      stream.on('error', () => undefined);
    },
    GetTransaction: unary(async (req): Promise<GetTransactionResponse> => {
      const r = await answer<QueryAnswer>((respond) => rt.query(req.txnId, respond));
      return {
        txnId: r.txn,
        outcome: r.outcome,
        reason: r.reason,
        participants: r.participants,
        results: r.results.map(resultToWire),
        abortCode: abortCodeToWire(r.code),
        inProgress: r.inProgress,
      };
    }),
    Read: unary(async (req): Promise<ReadResponse> => {
      const r = await answer<TxnAnswer>((respond) => rt.read(req.keys, req.timeoutMs, respond));
      return { txnId: r.txn, results: r.results.map(resultToWire) };
    }),
  };
}
