import type { AdminHandlers } from '../rpc/generated/dtx/v1/Admin.js';
import type { StatusResponse } from '../rpc/generated/dtx/v1/StatusResponse.js';
import { InvalidRequest } from '../protocol/ops.js';
import { unary } from '../rpc/status.js';
import { RequestError } from '../runtime/requestError.js';
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
  inDoubtOwners: { txnId: string; owner: string }[];
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

/** The Admin service; `faults` is null on a node started without --allow-faults: every Set* is refused. */
export function adminHandlers(status: () => NodeStatus, faults: FaultControls | null): AdminHandlers {
  const controls = (): FaultControls => {
    if (!faults) {
      throw new RequestError(
        'FAILED_PRECONDITION',
        `fault injection is off on node ${status().nodeId}: it was started without --allow-faults (the launcher, dtx chaos and the tests start nodes with it)`,
      );
    }
    return faults;
  };
  return {
    SetFailpoint: unary(async (req) => {
      const f = controls();
      return { armed: asInvalid(() => f.failpoints.set(req.name, req.action)) };
    }),
    SetNetworkFaults: unary(async (req) => {
      const f = controls();
      return {
        links: asInvalid(() =>
          f.network.replace(
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
      };
    }),
    SetClockOffset: unary(async (req) => {
      const f = controls();
      const offset = Number(req.offsetMs);
      if (!Number.isSafeInteger(offset) || Math.abs(offset) > 24 * 3_600_000) {
        throw new InvalidRequest(`clock offset must be within ±24 h, got ${req.offsetMs}`);
      }
      f.clock.offsetMs = offset;
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
