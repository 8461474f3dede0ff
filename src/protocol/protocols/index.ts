import type { CommitProtocol } from '../commitProtocol.js';
import { invariant } from '../invariant.js';
import type { ProtocolName } from '../types.js';
import { nonBlocking } from './nonBlocking.js';
import { threePhase } from './threePhase.js';
import { twoPhase } from './twoPhase.js';

/** Every commit protocol, by name. The compiler checks that each ProtocolName has its module. */
export const COMMIT_PROTOCOLS: { readonly [P in ProtocolName]: CommitProtocol<P> } = {
  '2pc': twoPhase,
  '3pc': threePhase,
  nb: nonBlocking,
};

/** The protocol of a transaction that names none (and of records written before 3pc and nb existed). */
export const DEFAULT_PROTOCOL: ProtocolName = '2pc';

/** The rules of a protocol. Names come from validated input and records; an unknown one is a bug here. */
export function rulesOf(name: ProtocolName): CommitProtocol {
  const rules = COMMIT_PROTOCOLS[name] as CommitProtocol | undefined;
  invariant(rules, () => `unknown commit protocol ${String(name)}`);
  return rules;
}
