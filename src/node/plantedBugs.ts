/**
 * Known bugs that can be switched on in a node (DTX_PLANTED_BUG=name), only so that
 * tests can prove the chaos checkers catch what they exist to catch. A checker that
 * never failed is not trusted. Never set in production.
 */
export const PLANTED_BUGS = {
  /** The participant votes YES at once and writes its prepare record later, unsynced. */
  'participant.voteBeforeSync': 'YES vote sent before the prepare record is durable',
  /** The participant acknowledges a commit and records it, but never applies the writes. */
  'participant.skipCommitApply': 'commit acknowledged without applying the writes on this shard',
} as const;

export type PlantedBug = keyof typeof PLANTED_BUGS;

export function plantedBug(): PlantedBug | null {
  const name = process.env['DTX_PLANTED_BUG'];
  if (!name) return null;
  if (!(name in PLANTED_BUGS)) throw new Error(`unknown DTX_PLANTED_BUG "${name}" (known: ${Object.keys(PLANTED_BUGS).join(', ')})`);
  return name as PlantedBug;
}
