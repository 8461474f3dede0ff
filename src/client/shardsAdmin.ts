import * as grpc from '@grpc/grpc-js';
import type { MoveProgress, ShardMap } from '../protocol/shardMap.js';
import { call, shardsClient } from '../rpc/clients.js';
import type { DialSecurity } from '../rpc/dial.js';
import type { MoveProgress__Output } from '../rpc/generated/dtx/v1/MoveProgress.js';
import type { ShardsClient } from '../rpc/generated/dtx/v1/Shards.js';
import type { ShardsOverview__Output } from '../rpc/generated/dtx/v1/ShardsOverview.js';
import { hostStateFromWire, mapFromWire } from '../rpc/shardWire.js';
import type { ShardHostView } from '../runtime/shardHost.js';
import { DtxError } from './dtxError.js';

/** A membership change's progress as a caller sees it. */
export type ShardProgress = MoveProgress;

export interface ShardsOverview {
  map: ShardMap;
  hosts: (ShardHostView & { nodeId: string })[];
  unreachable: string[];
}

export type MembershipChange = { kind: 'move'; shards: number[]; to: string } | { kind: 'add'; id: string; address: string } | { kind: 'remove'; id: string };

export interface MoveLimits {
  shardsPerStep?: number;
  maxKeysPerSecond?: number;
  /** Copy without giving way to the transactions running beside the move. */
  fullSpeed?: boolean;
}

const LIST_MS = 10_000;

function progressFromWire(p: MoveProgress__Output): ShardProgress {
  return { ...p, keysMoved: Number(p.keysMoved), epoch: Number(p.epoch) };
}

/**
 * Calls of dtx.v1.Shards for operators and the launcher: the map with every participant's view,
 * and membership changes run by a coordinator, streamed as progress. Tries the coordinators in
 * order until one answers (a change too: each moves towards a target state, so sending it again after a coordinator died only finishes it).
 */
export class ShardsAdmin {
  private readonly clients: ShardsClient[];

  constructor(addresses: readonly string[], sec: DialSecurity) {
    if (addresses.length === 0) throw new Error('ShardsAdmin needs at least one coordinator address');
    this.clients = addresses.map((a) => shardsClient(a, sec));
  }

  close(): void {
    for (const c of this.clients) c.close();
  }

  async list(): Promise<ShardsOverview> {
    return this.firstAnswering(async (c) => {
      const o = await call<object, ShardsOverview__Output>(c.List.bind(c), {}, LIST_MS);
      return { map: mapFromWire(o.map!), hosts: o.hosts.map(hostStateFromWire), unreachable: o.unreachable };
    });
  }

  /** Runs a membership change to its end; resolves with the last progress (done), rejects with its status. */
  change(change: MembershipChange, limits: MoveLimits, onProgress: (p: ShardProgress) => void): Promise<ShardProgress> {
    const opts = { shardsPerStep: limits.shardsPerStep ?? 0, maxKeysPerSecond: limits.maxKeysPerSecond ?? 0, fullSpeed: limits.fullSpeed ?? false };
    return this.firstAnswering(
      (c) =>
        new Promise<ShardProgress>((resolve, reject) => {
          const stream =
            change.kind === 'move'
              ? c.Move({ shards: change.shards, to: change.to, ...opts })
              : change.kind === 'add'
                ? c.AddParticipant({ id: change.id, address: change.address, ...opts })
                : c.RemoveParticipant({ id: change.id, ...opts });
          let last: ShardProgress | null = null;
          stream.on('data', (p: MoveProgress__Output) => {
            last = progressFromWire(p);
            onProgress(last);
          });
          stream.on('error', (e: grpc.ServiceError) => reject(e));
          stream.on('end', () =>
            last ? resolve(last) : reject(Object.assign(new Error('the coordinator ended the change without a word'), { code: grpc.status.INTERNAL })),
          );
        }),
    );
  }

  private async firstAnswering<T>(fn: (c: ShardsClient) => Promise<T>): Promise<T> {
    let lastErr: unknown = null;
    for (const c of this.clients) {
      try {
        return await fn(c);
      } catch (e) {
        lastErr = e;
        // Only "not reached" moves on: any other answer is the cluster's.
        if ((e as grpc.ServiceError).code !== grpc.status.UNAVAILABLE) break;
      }
    }
    throw DtxError.from(lastErr);
  }
}
