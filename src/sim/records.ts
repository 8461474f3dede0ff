/**
 * The real stores' record → LevelDB batch mapping and key layout, so that the simulated disk
 * holds the same keys and values (and recovery scans the same prefixes) as the real stores.
 */
import type { DecisionRecord, ParticipantOutcomeRecord, PrepareRecord } from '../protocol/records.js';
import { CKEY, coordinatorBatch } from '../storage/coordinatorStore.js';
import { participantBatch, PKEY } from '../storage/participantStore.js';

export { CKEY, coordinatorBatch, participantBatch, PKEY };

export function parseJson<T>(v: string | undefined): T | null {
  return v === undefined ? null : (JSON.parse(v) as T);
}

export type { DecisionRecord, ParticipantOutcomeRecord, PrepareRecord };
