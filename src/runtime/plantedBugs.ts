import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StoreFaults } from '../storage/participantStore.js';

/**
 * Known bugs that can be switched on in the runtime — in a node (DTX_PLANTED_BUG=name) or in
 * the simulator (`dtx sim --bug name`) — only so that tests can prove the checkers catch what
 * they exist to catch. A checker that never failed is not trusted. Never set in production.
 */
export const PLANTED_BUGS = {
  'participant.voteBeforeSync': 'YES vote sent before the prepare record is durable (the record is written 300 ms later, unsynced)',
  'participant.prepareUnsynced':
    'the prepare record is written without sync (no delay) and the YES vote leaves once it is written: a power cut before the next synced write loses it',
  'participant.skipCommitApply': 'commit acknowledged and recorded without applying the writes on this shard',
  'participant.dropCommitBatch': 'participant p1 silently drops about half of its commit batches, yet reports them persisted and acks',
  'participant.confirmLostReadLocks': 'a read-only branch that restarted confirms read locks it no longer holds (as before the 2pc read-only fix)',
  'participant.releaseReadLocksAtVote':
    "a participant releases a transaction's read locks once it voted, not at the decision: a writer can commit between two of its branches' reads (G-single, G2-item)",
  'participant.readsTakeNoLocks':
    'a participant takes no lock for a key a transaction only reads: a read never waits for a writer and sees the committed state of the moment (read committed: G-single, G2-item)',
  'participant.ignoreFences': 'the participant drops the fencing tokens of incoming ops: a stale lock holder writes',
  'coordinator.replyBeforeDecisionDurable': 'the coordinator answers the client COMMITTED before its decision persist completes',
  'coordinator.decisionsUnsynced':
    'the coordinator writes its decision records without sync (as with fsync turned off) and answers the client once one is written: a power cut of the coordinator loses decisions its clients were told',
  'coordinator.voteErrorAsYes': 'a failed Prepare call (of a writing branch) counts as a YES vote: nb then answers COMMITTED without that YES in any log',
  'coordinator.ownsEverything': 'every coordinator believes it owns every transaction id: none forwards, so two may run one id',
  'storage.cacheOvertakenReads': "a participant's value cache keeps a read that a commit overtook (the old value comes back)",
  'shards.copyWithoutDrain': 'a shard move copies the rows without waiting for the transactions on them to end (their commits land on the old owner only)',
  'shards.precopyMissesChanges': "a shard move's source notes none of the rows that change after its precopy (the frozen copy carries only fences and locks)",
  'shards.precopyNoteRestarted':
    "each precopy call of a move (the mover makes one a shard) starts the source's note of changes afresh: what changed in a shard precopied by an earlier call is not copied again",
  // One per chaos verdict that no other bug fails alone (README "Every verdict shown failing").
  'participant.commitKeepsPrepare': 'a commit batch leaves the prepare record behind (its delete is lost): the log still says prepared',
  'participant.applyNewKeysOnly': 'a commit that creates a key applies only the keys it creates: a cart order is written without its stock decrement',
  'participant.ignoreAddMin': 'the participant drops the min bound of incoming adds: a transfer or checkout overdraws',
  'participant.crashOnFirstRecovery': 'a restarted participant crashes during its first recovery (it comes up on the start after)',
  'participant.commitWhenCoordinatorUnreachable': 'a YES voter in doubt that cannot reach its coordinator commits on its own (no coordinator COMMIT behind it)',
  'coordinator.loseCommitDelivery':
    'the COMMIT of every 10th committed transaction to one participant is never sent, at any attempt (a lost decision delivery): the coordinator re-delivers for ever',
  'storage.commitOutcomeMislabelled':
    'every 3rd commit batch writes its outcome record as ABORTED, its writes applied: the log says aborted what the data says committed',
  'coordinator.abortsAsHeuristic': 'every ABORT decision the coordinator records is marked heuristic, as if an operator had forced it',
  'coordinator.reportCommitAsAbort':
    "every 5th committed transaction of a client-named id is answered ABORTED (the coordinator's reply contradicts its decision)",
  'coordinator.abortedReportedPending': "GetTransaction answers PENDING (in progress) where the outcome is ABORTED: a client's unknown outcome never resolves",
  'locks.tokenReissued': "a lock granted again is answered with its previous grant's fencing token (the counter read, not bumped)",
  // Reshard rows and isolation anomalies on real processes (README "Every verdict shown failing", "Isolation, checked from histories").
  'coordinator.changeStreamLeftOpen':
    "a membership change's progress stream gets its last message but is never ended (the handler's end is lost): the caller waits for ever, though the change is done",
  'participant.mapWriteSkipped':
    "a map install that moves none of this participant's shards is taken in memory but never written (nothing of its own changes): on disk it keeps an older map",
  'participant.lostShardRowsKept':
    'a map install works out the shards it loses after adopting the new map (so none): the rows of shards moved away stay on disk, unserved',
  'storage.preparedWritesCached':
    'a prepare puts its writes into the value cache (to make the commit cheap), and an abort never takes them out: later transactions read an aborted write (G1a)',
  'participant.firstWriteStaged':
    'a transaction that writes a key twice has the first value staged (a dedup keeping the first put, not the last): what commits is an intermediate write (G1b)',
  'participant.earlyLockRelease':
    "early lock release without commit dependencies: a writer's locks on the keys it writes go once its prepare record is on its way to the log, and the next transaction on them reads (and numbers its versions after) those staged writes, yet never waits for the first one's decision nor aborts with it (G1a, G1c, G0)",
  'retention.forgetLowWater':
    'retention collects records but keeps no collected-up-to mark: a question about a collected id reads as "never seen" (a resolution presumes it aborted), and a node sweeping a window behind refuses nothing',
} as const;

export type PlantedBug = keyof typeof PLANTED_BUGS;

export function isPlantedBug(name: string): name is PlantedBug {
  return Object.hasOwn(PLANTED_BUGS, name);
}

/** The planted bug named by DTX_PLANTED_BUG, if any; refused on a node without fault injection. */
export function plantedBugFromEnv(allowFaults: boolean, env: NodeJS.ProcessEnv = process.env): PlantedBug | null {
  const name = env['DTX_PLANTED_BUG'];
  if (!name) return null;
  if (!allowFaults) throw new Error(`DTX_PLANTED_BUG is set ("${name}") but fault injection is off on this node: start it with --allow-faults`);
  if (!isPlantedBug(name)) throw new Error(`unknown DTX_PLANTED_BUG "${name}" (known: ${Object.keys(PLANTED_BUGS).join(', ')})`);
  return name;
}

/** The delay of the prepare record under participant.voteBeforeSync: long enough for a kill -9 to lose it. */
export const VOTE_BEFORE_SYNC_DELAY_MS = 300;

/**
 * participant.crashOnFirstRecovery: the first restart of a data dir fails (marker files in it
 * remember the first start and the crash); the start after that recovers normally.
 */
function crashOnFirstRecovery(dataDir: string): void {
  const started = join(dataDir, 'planted-bug.started');
  const crashed = join(dataDir, 'planted-bug.crashed');
  if (!existsSync(started)) return writeFileSync(started, '');
  if (existsSync(crashed)) return;
  writeFileSync(crashed, '');
  throw new Error('PLANTED BUG participant.crashOnFirstRecovery: recovery crashed');
}

/** Runs a participant's start-time planted bug (a crash of its first recovery), and gives the store-level faults its bug asks for. */
export function plantedParticipantFaults(bug: PlantedBug | null, dataDir: string): StoreFaults {
  if (bug === 'participant.crashOnFirstRecovery') crashOnFirstRecovery(dataDir);
  return {
    cacheOvertakenReads: bug === 'storage.cacheOvertakenReads',
    commitKeepsPrepare: bug === 'participant.commitKeepsPrepare',
    commitOutcomeMislabelled: bug === 'storage.commitOutcomeMislabelled',
    preparedWritesCached: bug === 'storage.preparedWritesCached',
  };
}
