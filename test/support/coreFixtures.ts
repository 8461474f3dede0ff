import type { CoordinatorConfig } from '../../src/protocol/coordinatorCore.js';
import { ParticipantCore, type ParticipantConfig, type ParticipantEffect, type PrepareMessage } from '../../src/protocol/participantCore.js';
import type { PrepareRecord } from '../../src/protocol/records.js';
import type { NodeId, ProtocolName, TxnOp } from '../../src/protocol/types.js';
import { ownerOf } from '../../src/protocol/routing.js';

export const PARTS = ['p1', 'p2', 'p3'];

/** A coordinator config for core tests: short timers, small bounds. */
export function coordinatorConfig(overrides: Partial<CoordinatorConfig> = {}): CoordinatorConfig {
  return {
    participants: PARTS,
    participantAddrs: { p1: 'p1:1', p2: 'p2:1', p3: 'p3:1' },
    selfAddr: 'c1:7000',
    precommitTimeoutMs: 300,
    maxLockWaitMs: 500,
    resendMinMs: 100,
    resendMaxMs: 800,
    maxActiveTxns: 100,
    recentOutcomes: 1000,
    ...overrides,
  };
}

/** `perOwner` keys owned by each participant, found by routing itself so tests follow any hash change. */
export function keysByOwner(perOwner: number, participants = PARTS): (p: string, i?: number) => string {
  const byOwner: Record<string, string[]> = {};
  for (let i = 0; Object.values(byOwner).flat().length < perOwner * participants.length && i < 10_000; i++) {
    const key = `key${i}`;
    const o = ownerOf(key, participants);
    byOwner[o] ??= [];
    if (byOwner[o]!.length < perOwner) byOwner[o]!.push(key);
  }
  return (p, i = 0) => byOwner[p]![i]!;
}

/** A prepare from c1 for a transaction on p1 and p2 (its age and lock wait as a test needs them). */
export function prepareMessage(txn: string, ops: TxnOp[], ageMs = 0, lockWaitMs = 1000, protocol: ProtocolName = '2pc'): PrepareMessage {
  return {
    txn,
    coordinatorId: 'c1',
    coordinatorAddr: 'c1:7000',
    ops,
    participants: ['p1', 'p2'],
    participantAddrs: ['p1:1', 'p2:1'],
    protocol,
    age: { ms: ageMs, id: txn },
    lockWaitMs,
  };
}

/** A participant config for core tests: short timers, small bounds. */
export const PARTICIPANT_CONFIG: ParticipantConfig = {
  inquireAfterMs: 100,
  inquireMaxBackoffMs: 500,
  maxLockWaiters: 10,
  recentOutcomes: 1000,
  fenceCheck: null,
};

/** A participant core that has just recovered `prepared` (nothing for a fresh one), and what recovery emitted. */
export function recoveredParticipant(
  cfg: Partial<ParticipantConfig> = {},
  prepared: PrepareRecord[] = [],
  id: NodeId = 'p1',
  now = 0,
): { p: ParticipantCore; effects: ParticipantEffect[] } {
  const p = new ParticipantCore(id, { ...PARTICIPANT_CONFIG, ...cfg });
  const effects = p.step({ type: 'recover', prepared }, now);
  return { p, effects };
}

export const put = (key: string, value: string): TxnOp => ({ type: 'put', key, value });
export const get = (key: string): TxnOp => ({ type: 'get', key });
