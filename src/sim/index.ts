export { BUGS, INVARIANTS, Simulation, simulate } from './simulator.js';
export type { BugName, FaultProfile, InvariantName, SimOptions, SimResult, SimStats, Violation } from './simulator.js';
export { runSeeds } from './runSeeds.js';
export type { RunSeedsOptions, RunSeedsSummary, SeedFailure } from './runSeeds.js';
export { Prng } from './prng.js';
