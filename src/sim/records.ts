/**
 * The record → LevelDB key layout of src/storage/participantStore.ts and coordinatorStore.ts,
 * over their exported key helpers, so that the simulated disk holds the same keys and values
 * (and recovery scans the same prefixes) as the real stores.
 */
import type {
  CoordinatorRecord,
  DecisionRecord,
  ParticipantOutcomeRecord,
  ParticipantRecord,
  PrepareRecord,
} from '../protocol/records.js';
import type { StoredValue } from '../protocol/types.js';
import { CKEY } from '../storage/coordinatorStore.js';
import { PKEY } from '../storage/participantStore.js';
import type { BatchOp } from './disk.js';

export { CKEY, PKEY };

export function participantBatch(record: ParticipantRecord): BatchOp[] {
  switch (record.kind) {
    case 'prepare':
      return [{ type: 'put', key: PKEY.prepare(record.record.txn), value: JSON.stringify(record.record) }];
    case 'commit': {
      const outcome: ParticipantOutcomeRecord = { txn: record.txn, outcome: 'COMMITTED', results: record.results };
      return [
        ...record.writes.map((w): BatchOp => ({
          type: 'put',
          key: PKEY.data(w.key),
          value: JSON.stringify({ value: w.value, version: w.version } satisfies StoredValue),
        })),
        { type: 'put', key: PKEY.outcome(record.txn), value: JSON.stringify(outcome) },
        { type: 'del', key: PKEY.prepare(record.txn) },
      ];
    }
    case 'abort': {
      const outcome: ParticipantOutcomeRecord = { txn: record.txn, outcome: 'ABORTED', results: [] };
      return [
        { type: 'put', key: PKEY.outcome(record.txn), value: JSON.stringify(outcome) },
        { type: 'del', key: PKEY.prepare(record.txn) },
      ];
    }
  }
}

export function coordinatorBatch(record: CoordinatorRecord): BatchOp[] {
  if (record.kind === 'end') return [{ type: 'del', key: CKEY.unfinished(record.txn) }];
  const d = record.record;
  const ops: BatchOp[] = [{ type: 'put', key: CKEY.decision(d.txn), value: JSON.stringify(d) }];
  if (d.outcome === 'COMMITTED' && !d.readOnly) ops.push({ type: 'put', key: CKEY.unfinished(d.txn), value: '""' });
  return ops;
}

export function parseJson<T>(v: string | undefined): T | null {
  return v === undefined ? null : (JSON.parse(v) as T);
}

export type { DecisionRecord, ParticipantOutcomeRecord, PrepareRecord };
