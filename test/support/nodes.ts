import { ownerOf } from '../../src/protocol/routing.js';
import { adminClient, call, participantClient } from '../../src/rpc/clients.js';
import type { StatusResponse__Output } from '../../src/rpc/generated/dtx/v1/StatusResponse.js';
import type { TxnStateResponse__Output } from '../../src/rpc/generated/dtx/v1/TxnStateResponse.js';
import type { LocalCluster } from '../../src/cluster/localCluster.js';

export async function nodeStatus(address: string): Promise<StatusResponse__Output> {
  const c = adminClient(address);
  try {
    return await call<object, StatusResponse__Output>(c.Status.bind(c), {}, 3000);
  } finally {
    c.close();
  }
}

export function counter(s: StatusResponse__Output, name: string): number {
  return Number(s.counters.find((c) => c.name === name)?.value ?? 0);
}

export async function setFailpoint(address: string, name: string, action: 'kill' | 'off'): Promise<void> {
  const c = adminClient(address);
  try {
    await call(c.SetFailpoint.bind(c), { name, action }, 3000);
  } finally {
    c.close();
  }
}

export async function txnState(address: string, txnId: string): Promise<string> {
  const c = participantClient(address);
  try {
    const r = await call<{ txnId: string }, TxnStateResponse__Output>(c.GetTxnState.bind(c), { txnId }, 3000);
    return r.state;
  } finally {
    c.close();
  }
}

/** True when no node holds a lock, an in-doubt transaction or an active one. */
export async function quiescent(cluster: LocalCluster): Promise<boolean> {
  for (const n of cluster.nodes.values()) {
    const s = await nodeStatus(n.address);
    if (s.inDoubt.length > 0 || counter(s, 'activeTxns') > 0 || counter(s, 'lockedKeys') > 0) return false;
  }
  return true;
}

/** `count` keys with the given prefix, each owned by a different participant (as the coordinator routes). */
export function keysOnDistinctParticipants(prefix: string, participants: string[], count = participants.length): string[] {
  const byOwner = new Map<string, string>();
  for (let i = 0; byOwner.size < count && i < 10_000; i++) {
    const key = `${prefix}${i}`;
    const owner = ownerOf(key, participants);
    if (!byOwner.has(owner)) byOwner.set(owner, key);
  }
  if (byOwner.size < count) throw new Error(`could not place ${count} keys on distinct participants`);
  return [...byOwner.values()];
}

export function ownerAddress(cluster: LocalCluster, key: string): string {
  return cluster.node(ownerOf(key, cluster.participantNames)).address;
}
