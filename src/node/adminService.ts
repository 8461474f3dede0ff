import type * as grpc from '@grpc/grpc-js';
import type { AdminHandlers } from '../rpc/generated/dtx/v1/Admin.js';
import type { ClockOffset as ClockOffsetMsg, ClockOffset__Output } from '../rpc/generated/dtx/v1/ClockOffset.js';
import type { NetworkFaults as NetworkFaultsMsg, NetworkFaults__Output } from '../rpc/generated/dtx/v1/NetworkFaults.js';
import type { SetFailpointRequest__Output } from '../rpc/generated/dtx/v1/SetFailpointRequest.js';
import type { SetFailpointResponse } from '../rpc/generated/dtx/v1/SetFailpointResponse.js';
import { txnAdminHandlers, type TxnAdminPorts } from './txnAdminService.js';
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

/**
 * The Admin service; `faults` is null on a node started without --allow-faults: every Set* is
 * refused. Fault injection and transaction resolution are manual actions: each goes to the
 * node's audit log.
 */
/** A unary handler whose every call (and how it ended) goes to the node's audit log. */
function auditedBy(txn: TxnAdminPorts) {
  return <Req, Res>(action: string, target: (req: Req) => string, fn: (req: Req) => Promise<Res>) =>
    unary<Req, Res>(async (req, call) => {
      const actor = txn.caller(call as grpc.ServerUnaryCall<unknown, unknown>);
      try {
        const res = await fn(req);
        await txn.audit.append({ actor, action, target: target(req), reason: '', result: 'ok' });
        return res;
      } catch (e) {
        await txn.audit.append({ actor, action, target: target(req), reason: '', result: `refused: ${(e as Error).message}` });
        throw e;
      }
    });
}

export function adminHandlers(status: () => NodeStatus, faults: FaultControls | null, txn: TxnAdminPorts): AdminHandlers {
  const audited = auditedBy(txn);
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
    ...txnAdminHandlers(txn),
    SetFailpoint: audited<SetFailpointRequest__Output, SetFailpointResponse>(
      'failpoint.set',
      (r) => `${r.name} ${r.action}`,
      async (req) => {
        const f = controls();
        return { armed: asInvalid(() => f.failpoints.set(req.name, req.action)) };
      },
    ),
    SetNetworkFaults: audited<NetworkFaults__Output, NetworkFaultsMsg>(
      'network.faults',
      (r) => `${r.links.length} link fault(s)`,
      async (req) => {
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
      },
    ),
    SetClockOffset: audited<ClockOffset__Output, ClockOffsetMsg>(
      'clock.offset',
      (r) => `${r.offsetMs} ms`,
      async (req) => {
        const f = controls();
        const offset = Number(req.offsetMs);
        if (!Number.isSafeInteger(offset) || Math.abs(offset) > 24 * 3_600_000) {
          throw new InvalidRequest(`clock offset must be within ±24 h, got ${req.offsetMs}`);
        }
        f.clock.offsetMs = offset;
        return { offsetMs: offset };
      },
    ),
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
