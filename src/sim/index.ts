export { CRASH_ONLY, FAULT_KINDS, INVARIANTS, PROTOCOL_MODES, Simulation, simulate } from './simulator.js';
export type { FaultKind, FaultProfile, InvariantName, ProtocolMode, SimOptions, SimResult, SimStats, Violation } from './simulator.js';
export { describeViolations, runSeeds } from './runSeeds.js';
export type { RunSeedsOptions, RunSeedsSummary, SeedFailure, ViolationTally } from './runSeeds.js';
export { Prng } from './prng.js';
export { PLANTED_BUGS, type PlantedBug } from '../runtime/plantedBugs.js';
