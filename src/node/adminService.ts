import type { AdminHandlers } from '../rpc/generated/dtx/v1/Admin.js';
import type { StatusResponse } from '../rpc/generated/dtx/v1/StatusResponse.js';
import { InvalidRequest } from '../protocol/ops.js';
import { unary } from '../rpc/status.js';
import type { Failpoints } from './failpoints.js';

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

export function adminHandlers(status: () => NodeStatus, failpoints: Failpoints): AdminHandlers {
  return {
    SetFailpoint: unary(async (req) => {
      try {
        return { armed: failpoints.set(req.name, req.action) };
      } catch (err) {
        throw new InvalidRequest((err as Error).message);
      }
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
