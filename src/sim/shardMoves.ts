import { shardOf, withMoves, type ShardMap } from '../protocol/shardMap.js';
import type { MoveMark, ShardHost } from '../runtime/shardHost.js';
import type { SimNode } from './nodes.js';
import type { SimWorld } from './world.js';

const NEM = 'nem';
/** A step that has not finished in this long (its node crashed under it) counts as failed. */
const STEP_MS = 3000;

/**
 * The simulator's resharding nemesis: while the workload runs it moves shards between
 * participants through the REAL participant side (ShardHost: precopy, freeze, export, import, install) and
 * the real coordinator runtimes (hold gate, undecided transactions, map); the mover's own calls go
 * straight to the nodes (not through the simulated network), but the nodes crash under them, and
 * only some coordinators are told the new map at once — the others learn it from a participant's
 * refusal. A move that fails rolls back; one left half-done is settled later, as a coordinator
 * settles its own. After the heal every participant gets the newest map.
 */
export class SimShardMover {
  private token = 0;
  private busy = false;
  private moves = 0;
  /** The last map this mover made: the newest, even while the participants holding it are down. */
  private latest: ShardMap | null = null;

  constructor(
    private readonly w: SimWorld,
    private readonly o: {
      participants: () => SimNode[];
      coordinators: () => SimNode[];
      accounts: readonly string[];
      /** Keys whose shards never move (the lock workload calls its lock's home directly). */
      pinned: readonly string[];
      untilMs: number;
    },
  ) {}

  /** The newest map: the last this mover made, or one a running participant holds. */
  newestMap(): ShardMap | null {
    let best: ShardMap | null = this.latest;
    for (const p of this.o.participants()) {
      const m = p.shards?.view().map;
      if (m && (!best || m.epoch > best.epoch)) best = m;
    }
    return best;
  }

  start(): void {
    this.schedule();
  }

  private schedule(): void {
    const w = this.w;
    w.at(w.now + w.rng.int(150, 600), () => {
      if (this.busy) return this.schedule();
      this.busy = true;
      const work = w.now < this.o.untilMs ? this.settle().then(() => this.moveOnce()) : this.settle().then(() => this.syncLagging());
      work
        .catch((e: Error) => w.log(NEM, `RESHARD failed: ${e.message}`))
        .finally(() => {
          this.busy = false;
          this.schedule();
        });
    });
  }

  private host(n: SimNode | undefined): ShardHost {
    if (!n?.up || !n.shards) throw new Error(`${n?.id ?? '?'} is down`);
    return n.shards;
  }

  private node(id: string): SimNode | undefined {
    return this.o.participants().find((p) => p.id === id);
  }

  /** A step on a node, bounded: a crash under it never answers. */
  private step<T>(what: string, p: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let done = false;
      this.w.at(this.w.now + STEP_MS, () => {
        if (!done) reject(new Error(`${what}: no answer in ${STEP_MS} ms`));
        done = true;
      });
      p.then(
        (v) => {
          if (!done) resolve(v);
          done = true;
        },
        (e: unknown) => {
          if (!done) reject(e instanceof Error ? e : new Error(String(e)));
          done = true;
        },
      );
    });
  }

  private async moveOnce(): Promise<void> {
    const w = this.w;
    const map = this.newestMap();
    if (!map) return;
    const pinned = new Set(this.o.pinned.map((k) => shardOf(k, map.owners.length)));
    const shard = shardOf(w.rng.pick(this.o.accounts), map.owners.length);
    if (pinned.has(shard)) return;
    const from = map.owners[shard]!;
    const candidates = map.members.map((m) => m.id).filter((id) => id !== from);
    if (candidates.length === 0) return;
    const to = w.rng.pick(candidates);
    // Sometimes two shards of one source in one step, as a coordinator moves them.
    const shards = [shard];
    const other = shardOf(w.rng.pick(this.o.accounts), map.owners.length);
    if (w.rng.chance(0.5) && other !== shard && !pinned.has(other) && map.owners[other] === from) shards.push(other);
    const token = ++this.token;
    const next = withMoves(
      map,
      shards.map((s) => ({ shard: s, from, to })),
    );
    const mark: MoveMark = { moveId: `sim.${next.epoch}.${++this.moves}`, shards, from, to, epoch: next.epoch };
    w.log(NEM, `RESHARD ${mark.moveId}: shard(s) ${shards.join(',')} ${from} -> ${to} (epoch ${next.epoch})`);
    const coordinators = this.o.coordinators().filter((c) => c.up && c.coordinator);
    let flipped = false;
    try {
      let rows = 0;
      // Mostly as a coordinator moves: a precopy while the source serves, then only the changes.
      if (w.rng.chance(0.7)) {
        const source = this.host(this.node(from));
        const target = this.host(this.node(to));
        await this.step('open import', target.importRows(mark, [], token));
        // All at once, or a shard a call (the mover paces a source so); changes go on between calls.
        for (const part of w.rng.chance(0.5) ? shards.map((s) => [s]) : [shards]) {
          // The mover's pacer rests between them while transactions run.
          await new Promise<void>((r) => w.at(w.now + w.rng.int(0, 200), r));
          for await (const chunk of source.precopyRows(mark, token, part)) {
            await this.step('precopy', target.importRows(mark, chunk, token));
            rows += chunk.length;
          }
        }
      }
      for (const c of coordinators) c.coordinator!.gate.hold(mark.moveId, shards, 2000);
      await this.drained(coordinators, new Set(shards));
      const source = this.host(this.node(from));
      const target = this.host(this.node(to));
      await this.step('freeze', source.freeze(mark, token, 1000));
      await this.step('open import', target.importRows(mark, [], token));
      for await (const chunk of source.exportRows(mark.moveId, token)) {
        await this.step('import', target.importRows(mark, chunk, token));
        rows += chunk.length;
      }
      await this.step('install on target', target.install(next, token));
      flipped = true;
      this.latest = next;
      // Only some coordinators hear of it now; the others from a refusal (WRONG_SHARD).
      for (const c of coordinators) if (c.up && c.coordinator && w.rng.chance(0.5)) c.coordinator.setShardMap(next);
      for (const c of coordinators) c.coordinator?.gate.release(mark.moveId);
      w.stats.shardMoves++;
      w.log(NEM, `RESHARD ${mark.moveId}: ${rows} rows copied, target serves shard(s) ${shards.join(',')}`);
      await this.step('install on source', this.host(this.node(from)).install(next, token));
      await this.syncLagging();
    } catch (e) {
      for (const c of coordinators) c.coordinator?.gate.release(mark.moveId);
      if (!flipped) {
        w.stats.shardMovesRolledBack++;
        w.log(NEM, `RESHARD ${mark.moveId} failed before the switch (${(e as Error).message}): rolling back`);
        await this.rollback(mark, token).catch(() => undefined);
      } else {
        w.log(NEM, `RESHARD ${mark.moveId} switched, but ${(e as Error).message}: the source is told later`);
      }
    }
  }

  private async drained(coordinators: SimNode[], shards: ReadonlySet<number>): Promise<void> {
    const deadline = this.w.now + 1000;
    while (coordinators.some((c) => c.up && c.coordinator && c.coordinator.core.undecidedOnShards(shards).length > 0)) {
      if (this.w.now >= deadline) throw new Error('coordinators did not drain the shard');
      await new Promise<void>((r) => this.w.at(this.w.now + 5, r));
    }
  }

  private async rollback(mark: MoveMark, token: number): Promise<void> {
    const src = this.node(mark.from);
    const tgt = this.node(mark.to);
    if (src?.up && src.shards) await this.step('unfreeze', src.shards.unfreeze(mark.moveId, token));
    if (tgt?.up && tgt.shards) await this.step('drop incoming', tgt.shards.dropIncoming(mark.moveId, token));
  }

  /** Half-done moves (a node crashed mid-move): forward if the target serves their epoch, else back. */
  async settle(): Promise<void> {
    const marks = new Map<string, MoveMark>();
    for (const p of this.o.participants())
      if (p.up && p.shards) for (const m of [...p.shards.view().frozen, ...p.shards.view().incoming]) marks.set(m.moveId, m);
    for (const mark of marks.values()) {
      const src = this.node(mark.from);
      const tgt = this.node(mark.to);
      if (!src?.up || !src.shards || !tgt?.up || !tgt.shards) continue;
      const token = ++this.token;
      if ((tgt.shards.view().map?.epoch ?? 0) >= mark.epoch) {
        const newest = this.newestMap()!;
        await this.step('settle forward', src.shards.install(newest, token));
        this.w.log(NEM, `RESHARD ${mark.moveId} settled forward`);
      } else {
        await this.rollback(mark, token);
        this.w.log(NEM, `RESHARD ${mark.moveId} settled back`);
      }
    }
  }

  /** Participants behind the newest map get it (a coordinator's map sync). */
  async syncLagging(): Promise<void> {
    const newest = this.newestMap();
    if (!newest) return;
    for (const p of this.o.participants()) {
      if (p.up && p.shards && (p.shards.view().map?.epoch ?? 0) < newest.epoch) await this.step('sync', p.shards.install(newest, 0));
    }
    for (const c of this.o.coordinators()) if (c.up && c.coordinator) c.coordinator.setShardMap(newest);
  }
}
