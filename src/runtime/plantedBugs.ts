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
  'coordinator.voteErrorAsYes': 'a failed Prepare call (of a writing branch) counts as a YES vote: nb then answers COMMITTED without that YES in any log',
  'coordinator.ownsEverything': 'every coordinator believes it owns every transaction id: none forwards, so two may run one id',
  'storage.cacheOvertakenReads': "a participant's value cache keeps a read that a commit overtook (the old value comes back)",
  'shards.copyWithoutDrain': 'a shard move copies the rows without waiting for the transactions on them to end (their commits land on the old owner only)',
  'shards.precopyMissesChanges': "a shard move's source notes none of the rows that change after its precopy (the frozen copy carries only fences and locks)",
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
