import { invariant } from './invariant.js';

/** A transaction whose state is a union by phase. */
export interface Phased<S extends { phase: string }> {
  readonly id: string;
  state: S;
}

/**
 * The one way a transaction changes phase, from a table of legal moves ('ended' is leaving
 * memory): a move the table does not allow is a bug in the core, and crashes it.
 */
export function phaseMoves<S extends { phase: string }>(moves: { readonly [P in S['phase']]: readonly (S['phase'] | 'ended')[] }) {
  const allowed = (from: S['phase'], to: S['phase'] | 'ended'): boolean => (moves[from] as readonly string[]).includes(to);
  const moveTo = <N extends S>(t: Phased<S>, next: N): N => {
    invariant(allowed(t.state.phase, next.phase), () => `txn ${t.id} may not move from ${t.state.phase} to ${next.phase}`);
    t.state = next;
    return next;
  };
  const assertMayEnd = (t: Phased<S>): void => invariant(allowed(t.state.phase, 'ended'), () => `txn ${t.id} may not end while ${t.state.phase}`);
  return { moveTo, assertMayEnd };
}
