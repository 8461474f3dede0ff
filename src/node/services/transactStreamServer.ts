import * as grpc from '@grpc/grpc-js';
import type { TransactRequest__Output } from '../../rpc/generated/dtx/v1/TransactRequest.js';
import type { TransactResponse } from '../../rpc/generated/dtx/v1/TransactResponse.js';
import { toServiceError } from '../../rpc/status.js';
import { TickBatcher } from '../../rpc/tickBatcher.js';
import { resultsWeight } from '../../rpc/wireWeight.js';

/**
 * Transactions one TransactStream may hold at once: running, or answered but not yet taken by
 * gRPC because the client does not read. At the cap the server stops reading the stream, and
 * HTTP/2 flow control stops the client; it reads again when answers drain.
 */
export const MAX_STREAM_IN_FLIGHT = 1024;

/** What every open TransactStream holds, for Admin.Status. */
export const transactStreamGauges = { streams: 0, held: 0, paused: 0 };

type Stream = grpc.ServerDuplexStream<TransactRequest__Output, TransactResponse>;

/** The transactions one stream holds, and reading paused at the cap. */
class InFlightWindow {
  held = 0;
  private paused = false;
  private closed = false;

  constructor(
    private readonly stream: Stream,
    private readonly cap: number,
  ) {
    transactStreamGauges.streams++;
  }

  take(): void {
    this.held++;
    if (!this.closed) transactStreamGauges.held++;
    this.flow();
  }

  release(n: number): void {
    this.held -= n;
    if (!this.closed) transactStreamGauges.held -= n;
    this.flow();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    transactStreamGauges.streams--;
    transactStreamGauges.held -= this.held;
    if (this.paused) transactStreamGauges.paused--;
  }

  private flow(): void {
    const stop = this.held >= this.cap;
    if (stop === this.paused || this.closed) return;
    this.paused = stop;
    transactStreamGauges.paused += stop ? 1 : -1;
    if (stop) this.stream.pause();
    else this.stream.resume();
  }
}

/**
 * Serves one TransactStream: each request runs as it arrives, answers leave in completion order,
 * coalesced per event-loop turn; at most `cap` transactions are held for this stream (running
 * or answered while gRPC's buffer is full because the client does not read).
 */
export function serveTransactStream(stream: Stream, transact: (req: TransactRequest__Output) => Promise<TransactResponse>, cap = MAX_STREAM_IN_FLIGHT): void {
  const window = new InFlightWindow(stream, cap);
  // Answers written since gRPC last said its buffer is full: held until it drains (the client reads).
  let unsent = 0;
  let ended = false;
  const release = (n: number): void => {
    window.release(n);
    if (ended && window.held === 0) stream.end();
  };
  const out = new TickBatcher<TransactResponse>(
    (items) => {
      if (stream.cancelled || stream.destroyed) return release(items.length);
      let taken = true;
      for (const r of items) taken = stream.write(r);
      if (unsent === 0 && taken) return release(items.length);
      if (unsent === 0) {
        stream.once('drain', () => {
          const n = unsent;
          unsent = 0;
          release(n);
        });
      }
      unsent += items.length;
    },
    (r) => resultsWeight(r.results, r.reason),
  );
  stream.on('data', (req: TransactRequest__Output) => {
    window.take();
    transact(req).then(
      (res) => out.push({ ...res, requestId: req.requestId }),
      (err: unknown) => {
        const e = toServiceError(err);
        out.push({ txnId: req.txnId, requestId: req.requestId, errorCode: e.code ?? grpc.status.INTERNAL, errorMessage: e.details ?? 'failed' });
      },
    );
  });
  stream.on('end', () => {
    ended = true;
    if (window.held === 0) stream.end();
  });
  stream.on('close', () => window.close());
  stream.on('error', () => undefined);
}
