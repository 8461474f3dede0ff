import type * as grpc from '@grpc/grpc-js';
import type { ExportShardsRequest__Output } from '../../rpc/generated/dtx/v1/ExportShardsRequest.js';
import type { ShardChunk } from '../../rpc/generated/dtx/v1/ShardChunk.js';
import type { ShardHostHandlers } from '../../rpc/generated/dtx/v1/ShardHost.js';
import { hostStateToWire, mapFromWire, markFromWire } from '../../rpc/shardWire.js';
import { toServiceError, unary } from '../../rpc/status.js';
import { RequestError } from '../../runtime/requestError.js';
import type { ShardHost } from '../../runtime/shardHost.js';

/** The most rows one Import call may carry (a chunk of an export is 1,000). */
const MAX_IMPORT_ROWS = 5000;

/** dtx.v1.ShardHost over a participant's ShardHost: wire conversion and bounds only. */
export function shardHostService(host: ShardHost, nodeId: string): ShardHostHandlers {
  const state = (): ReturnType<typeof hostStateToWire> => hostStateToWire(nodeId, host.view());
  const token = (t: string | undefined): number => Number(t ?? 0);
  return {
    GetMap: unary(async () => state()),
    InstallMap: unary(async (req) => {
      if (!req.map) throw new RequestError('INVALID_ARGUMENT', 'map is required');
      return hostStateToWire(nodeId, await host.install(mapFromWire(req.map), token(req.moverToken)));
    }),
    Freeze: unary(async (req) => {
      if (!req.move) throw new RequestError('INVALID_ARGUMENT', 'move is required');
      return hostStateToWire(nodeId, await host.freeze(markFromWire(req.move), token(req.moverToken), req.drainTimeoutMs || 10_000));
    }),
    Unfreeze: unary(async (req) => hostStateToWire(nodeId, await host.unfreeze(req.moveId, token(req.moverToken)))),
    DropIncoming: unary(async (req) => hostStateToWire(nodeId, await host.dropIncoming(req.moveId, token(req.moverToken)))),
    Import: unary(async (req) => {
      if (!req.move) throw new RequestError('INVALID_ARGUMENT', 'move is required');
      if (req.rows.length > MAX_IMPORT_ROWS) throw new RequestError('INVALID_ARGUMENT', `${req.rows.length} rows in one call; at most ${MAX_IMPORT_ROWS}`);
      const rows = req.rows.map((r) => ({ key: r.key, value: Buffer.from(r.value).toString('utf8'), ...(r.deleted ? { deleted: true } : {}) }));
      return { rowsWritten: String(await host.importRows(markFromWire(req.move), rows, token(req.moverToken))) };
    }),
    Export: (call: grpc.ServerWritableStream<ExportShardsRequest__Output, ShardChunk>) => {
      void (async () => {
        try {
          const req = call.request;
          const chunks = req.precopy
            ? host.precopyRows(markFromWire(req.precopy), token(req.moverToken), req.precopyShards)
            : host.exportRows(req.moveId, token(req.moverToken));
          for await (const rows of chunks) {
            if (call.cancelled) return;
            const ok = call.write({ rows: rows.map((r) => ({ key: r.key, value: Buffer.from(r.value, 'utf8'), deleted: r.deleted === true })) });
            if (!ok) await new Promise((r) => call.once('drain', r));
          }
          call.end();
        } catch (e) {
          const err = toServiceError(e);
          call.emit('error', Object.assign(new Error(err.details), err));
        }
      })();
    },
  };
}
