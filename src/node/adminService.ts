import type { AdminHandlers } from '../rpc/generated/dtx/v1/Admin.js';
import type { StatusResponse } from '../rpc/generated/dtx/v1/StatusResponse.js';
import { InvalidRequest } from '../protocol/ops.js';
import { unary } from '../rpc/status.js';
import type { NetworkFaults } from '../rpc/networkFaults.js';
import type { NodeClock } from './clock.js';
import type { Failpoints } from './failpoints.js';

/** The fault controls every node exposes through Admin. */
export interface FaultControls {
  failpoints: Failpoints;
  network: NetworkFaults;
  clock: NodeClock;
}

export interface NodeStatus {
  nodeId: string;
  role: 'coordinator' | 'participant';
  address: string;
  peers: { id: string; address: string; role: string }[];
  inDoubt: string[];
  counters: Record<string, number>;
  uptimeMs: number;
  dataDir: string;
}

function asInvalid<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new InvalidRequest((err as Error).message);
  }
}

export function adminHandlers(status: () => NodeStatus, faults: FaultControls): AdminHandlers {
  return {
    SetFailpoint: unary(async (req) => ({ armed: asInvalid(() => faults.failpoints.set(req.name, req.action)) })),
    SetNetworkFaults: unary(async (req) => ({
      links: asInvalid(() =>
        faults.network.replace(
          req.links.map((l) => ({
            from: l.from,
            to: l.to,
            blocked: l.blocked,
            delayMs: l.delayMs,
            jitterMs: l.jitterMs,
            dropRate: l.dropRate,
            duplicateRate: l.duplicateRate,
          })),
        ),
      ),
    })),
    SetClockOffset: unary(async (req) => {
      const offset = Number(req.offsetMs);
      if (!Number.isSafeInteger(offset) || Math.abs(offset) > 24 * 3_600_000) {
        throw new InvalidRequest(`clock offset must be within ±24 h, got ${req.offsetMs}`);
      }
      faults.clock.offsetMs = offset;
      return { offsetMs: offset };
    }),
    Status: unary(async (): Promise<StatusResponse> => {
      const s = status();
      return {
        ...s,
        counters: Object.entries(s.counters).map(([name, value]) => ({ name, value })),
        pid: process.pid,
      };
    }),
  };
}
