import type { FailpointName as RuntimeFailpoint } from '../runtime/env.js';

/**
 * Named places in a node's runtime where a test can make the process kill -9 itself,
 * to crash it at an exact protocol step (the way etcd's gofail and FoundationDB's
 * buggify do). Armed at run time through Admin.SetFailpoint or at start through
 * DTX_FAILPOINTS="name=kill,name2=kill".
 */
export const FAILPOINTS = {
  'participant.prepare.afterPersist': 'prepare record durable, YES vote not yet sent',
  'participant.commit.before': 'commit received for a prepared transaction, not yet applied',
  'coordinator.decision.beforePersist': 'every vote is in, the decision not yet written',
  'coordinator.decision.afterPersist': 'COMMIT decision durable, nobody told yet',
  'coordinator.commit.beforeSend': 'a COMMIT is about to leave for a participant (nb: every YES is in, nobody told yet)',
  'participant.shards.freeze.after': 'move source: shards frozen durably, transactions on them not yet drained',
  'participant.shards.import.opened': 'move target: incoming mark durable, no rows copied yet',
  'participant.shards.import.rowsWritten': 'move target: a chunk of rows written, not yet synced',
  'participant.shards.install.before': 'a new shard map arrived, not yet durable here',
  'participant.shards.install.written': 'a new shard map durable here, the rows of the shards it took away not yet deleted',
  'coordinator.move.afterPrecopy': 'mover: rows copied while the source serves, nothing held or frozen',
  'coordinator.move.afterFreeze': 'mover: source frozen and drained, changes since the precopy not copied',
  'coordinator.move.afterCopy': 'mover: rows copied to the target, no map installed',
  'coordinator.move.afterTargetInstall': 'mover: the target serves the shards, the source and the rest not told',
} as const satisfies Record<RuntimeFailpoint, string>; // the runtime's places (env.ts), each described

export type FailpointName = keyof typeof FAILPOINTS;
export type FailpointAction = 'kill' | 'off';

export class Failpoints {
  private readonly armed = new Set<FailpointName>();

  /** `spec`: DTX_FAILPOINTS; refused (an error at start) on a node without fault injection. */
  constructor(spec = process.env['DTX_FAILPOINTS'] ?? '', enabled = true) {
    if (!enabled && spec.trim() !== '')
      throw new Error(`DTX_FAILPOINTS is set ("${spec}") but fault injection is off on this node: start it with --allow-faults`);
    for (const part of spec
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const [name, action] = part.split('=');
      this.set(name ?? '', action ?? 'kill');
    }
  }

  set(name: string, action: string): string[] {
    if (!Object.hasOwn(FAILPOINTS, name)) {
      throw new Error(`unknown failpoint "${name}" (known: ${Object.keys(FAILPOINTS).join(', ')})`);
    }
    if (action !== 'kill' && action !== 'off') throw new Error(`failpoint action must be kill or off, got "${action}"`);
    if (action === 'kill') this.armed.add(name as FailpointName);
    else this.armed.delete(name as FailpointName);
    return this.list();
  }

  list(): string[] {
    return [...this.armed].sort();
  }

  /** Called at the named place: an armed failpoint ends the process at once, like kill -9. */
  hit(name: FailpointName): void {
    if (this.armed.has(name)) process.kill(process.pid, 'SIGKILL');
  }
}
