import type * as grpc from '@grpc/grpc-js';
import { shardMapProblem } from '../../protocol/shardMap.js';
import type { AddParticipantRequest__Output } from '../../rpc/generated/dtx/v1/AddParticipantRequest.js';
import type { MoveProgress as WireProgress } from '../../rpc/generated/dtx/v1/MoveProgress.js';
import type { MoveShardsRequest__Output } from '../../rpc/generated/dtx/v1/MoveShardsRequest.js';
import type { RemoveParticipantRequest__Output } from '../../rpc/generated/dtx/v1/RemoveParticipantRequest.js';
import type { ShardsHandlers } from '../../rpc/generated/dtx/v1/Shards.js';
import { hostStateToWire, mapFromWire, mapToWire } from '../../rpc/shardWire.js';
import { toServiceError, unary } from '../../rpc/status.js';
import type { CoordinatorRuntime } from '../../runtime/coordinatorRuntime.js';
import type { PlantedBug } from '../../runtime/plantedBugs.js';
import { RequestError } from '../../runtime/requestError.js';
import type { ShardDirectory } from '../shardDirectory.js';
import { DEFAULT_MOVE_OPTIONS, type MoveOptions, type MoveProgress, type ShardMover } from '../shardMover.js';

const MAX_HOLD_TTL_MS = 120_000;
const MAX_DRAIN_MS = 60_000;
const MAX_SHARDS_PER_STEP = 256;
/** A transaction still prepared this long after it was first seen so is in doubt (not merely running). */
const STUCK_AFTER_MS = 3000;

function moveOptions(req: { shardsPerStep: number; maxKeysPerSecond: number; fullSpeed: boolean }): MoveOptions {
  if (req.shardsPerStep > MAX_SHARDS_PER_STEP)
    throw new RequestError('INVALID_ARGUMENT', `shards_per_step ${req.shardsPerStep} is above ${MAX_SHARDS_PER_STEP}`);
  return {
    shardsPerStep: req.shardsPerStep || DEFAULT_MOVE_OPTIONS.shardsPerStep,
    maxKeysPerSecond: req.maxKeysPerSecond || DEFAULT_MOVE_OPTIONS.maxKeysPerSecond,
    fullSpeed: req.fullSpeed,
  };
}

function progressToWire(p: MoveProgress): WireProgress {
  return { ...p, keysMoved: String(p.keysMoved), epoch: String(p.epoch) };
}

/**
 * A membership change streamed as progress; its error, if any, is the stream's status.
 * `leaveOpen`: PLANTED BUG coordinator.changeStreamLeftOpen — a change that succeeds is never ended.
 */
function streamed<Req>(
  run: (req: Req, progress: (p: MoveProgress) => void) => Promise<unknown>,
  leaveOpen = false,
): grpc.handleServerStreamingCall<Req, WireProgress> {
  return (call) => {
    run(call.request, (p) => {
      if (!call.cancelled) call.write(progressToWire(p));
    }).then(
      () => (leaveOpen ? undefined : call.end()),
      (e: unknown) => {
        const err = toServiceError(e);
        call.emit('error', Object.assign(new Error(err.details), err));
      },
    );
  };
}

/** dtx.v1.Shards on a coordinator: the map, membership changes (run here by its mover) and the hold barrier other movers ask for. */
export function shardsService(o: { runtime: CoordinatorRuntime; directory: ShardDirectory; mover: ShardMover; bug?: PlantedBug | null }): ShardsHandlers {
  const { runtime, directory, mover } = o;
  const leaveOpen = o.bug === 'coordinator.changeStreamLeftOpen';
  return {
    List: unary(async () => {
      await directory.refresh();
      const answers = await directory.views();
      return {
        map: mapToWire(runtime.core.shardMap),
        hosts: answers.flatMap((a) => (a.ok ? [hostStateToWire(a.id, a.view)] : [])),
        unreachable: answers.flatMap((a) => (a.ok ? [] : [`${a.id}: ${a.error}`])),
      };
    }),
    Move: streamed<MoveShardsRequest__Output>(async (req, progress) => {
      if (!req.to) throw new RequestError('INVALID_ARGUMENT', 'to (a participant id) is required');
      if (req.shards.length === 0) throw new RequestError('INVALID_ARGUMENT', 'name at least one shard');
      return mover.move([...req.shards], req.to, moveOptions(req), progress);
    }, leaveOpen),
    AddParticipant: streamed<AddParticipantRequest__Output>(async (req, progress) => {
      if (!req.id || !req.address) throw new RequestError('INVALID_ARGUMENT', 'id and address are required');
      return mover.addParticipant({ id: req.id, addr: req.address }, moveOptions(req), progress);
    }, leaveOpen),
    RemoveParticipant: streamed<RemoveParticipantRequest__Output>(async (req, progress) => {
      if (!req.id) throw new RequestError('INVALID_ARGUMENT', 'id is required');
      // In doubt = prepared and still so a moment later: transfers running through it are not stuck.
      const stuck = async (): Promise<number> => {
        const sample = async (): Promise<string[]> => {
          const a = (await directory.views()).find((x) => x.id === req.id);
          if (!a) return [];
          if (!a.ok) throw new RequestError('UNAVAILABLE', `${req.id} does not answer (${a.error}): it cannot be drained while down`);
          return a.view.inDoubtTxns;
        };
        const first = await sample();
        if (first.length === 0) return 0;
        await new Promise((r) => setTimeout(r, STUCK_AFTER_MS));
        const again = new Set(await sample());
        return first.filter((t) => again.has(t)).length;
      };
      return mover.removeParticipant(req.id, stuck, moveOptions(req), progress);
    }, leaveOpen),
    Hold: unary(async (req) => {
      if (!req.moveId || req.shards.length === 0) throw new RequestError('INVALID_ARGUMENT', 'move_id and shards are required');
      const count = runtime.core.shardMap.owners.length;
      if (req.shards.some((s) => s >= count)) throw new RequestError('INVALID_ARGUMENT', `shards are 0..${count - 1}`);
      runtime.gate.hold(req.moveId, [...req.shards], Math.min(req.ttlMs || 30_000, MAX_HOLD_TTL_MS));
      const shards = new Set(req.shards);
      const deadline = Date.now() + Math.min(req.drainTimeoutMs || 10_000, MAX_DRAIN_MS);
      for (;;) {
        const left = runtime.core.undecidedOnShards(shards);
        if (left.length === 0) return {};
        if (Date.now() > deadline) throw new RequestError('ABORTED', `${left.length} transaction(s) on the shards still undecided here`);
        await new Promise((r) => setTimeout(r, 5));
      }
    }),
    Release: unary(async (req) => {
      if (req.map) {
        const map = mapFromWire(req.map);
        const problem = shardMapProblem(map);
        if (problem) throw new RequestError('INVALID_ARGUMENT', `shard map: ${problem}`);
        if (map.owners.length !== runtime.core.shardMap.owners.length)
          throw new RequestError('INVALID_ARGUMENT', 'the map has another shard count than this cluster');
        // Routed by the new map before the held transactions run.
        runtime.setShardMap(map);
      }
      if (req.moveId) runtime.gate.release(req.moveId);
      return {};
    }),
  };
}
