import type { Logger } from 'pino';
import { balancingMoves, describeMap, withMoves, type MoveProgress, type ShardMap, type ShardMember, type ShardMove } from '../protocol/shardMap.js';
import type { NodeId } from '../protocol/types.js';
import { dropIncoming, exportRows, freeze, getMap, importRows, installMap, unfreeze, type RelayedRow } from '../rpc/shardHostCalls.js';
import type { FailpointName } from '../runtime/env.js';
import { RequestError } from '../runtime/requestError.js';
import type { MoveMark } from '../runtime/shardHost.js';
import type { MovePacer } from './movePacer.js';
import { newestMap, type HostAnswer, type ShardDirectory } from './shardDirectory.js';

export type { MoveProgress };

/** The other coordinators, as the mover needs them: hold new transactions on shards, then release with the new map. */
export interface CoordinatorPeers {
  hold(moveId: string, shards: number[], ttlMs: number, drainTimeoutMs: number): Promise<NodeId[]>;
  release(moveId: string, map: ShardMap | null): Promise<void>;
}

/** This coordinator's side: its gate, its transactions, its map. */
export interface LocalCoordinator {
  hold(moveId: string, shards: number[], ttlMs: number): void;
  release(moveId: string): void;
  undecidedOnShards(shards: ReadonlySet<number>): string[];
  adopt(map: ShardMap): void;
  current(): ShardMap;
}

export interface MoveOptions {
  /** Shards moved together (one freeze, one copy, one epoch). */
  shardsPerStep: number;
  /** 0: no limit. */
  maxKeysPerSecond: number;
  /** Copy without giving way to the transactions running beside the move (MovePacer). */
  fullSpeed: boolean;
}

export const DEFAULT_MOVE_OPTIONS: MoveOptions = { shardsPerStep: 8, maxKeysPerSecond: 0, fullSpeed: false };

const HOLD_TTL_MS = 30_000;
const DRAIN_TIMEOUT_MS = 10_000;
const CALL_MS = 5_000;
const COPY_TIMEOUT_MS = 120_000;
const INSTALL_ATTEMPTS = 5;
const PRECOPY_CALLS = 8;

/**
 * Moves shards between participants while transactions run. Each step takes a few shards from
 * one source to one target:
 *   1. precopy: their rows (data, outcome records) are copied to the target, stored there
 *      unserved, while the source still serves them and notes every row that changes;
 *   2. every coordinator holds new transactions on them and lets its undecided ones finish;
 *   3. the source freezes them (durably: no new prepares) and waits for its own to end;
 *   4. what changed since the precopy (or everything, if the source restarted and lost its note)
 *      is copied, with the fences and the shards' locks;
 *   5. the map one epoch later goes to the target first (from then on it serves them), then to the
 *      coordinators (held transactions run, routed to the target), the source (it drops them) and
 *      every other participant.
 * Transactions on the shards wait only for 2–5, whose copy is small. A failure before 5 rolls the
 * step back (the source serves again, the target drops the copy); from 5 on the step only goes
 * forward, and a participant that missed the map gets it later (ShardDirectory.syncLagging). One
 * mover at a time per coordinator; the mover token fences a mover that lost its turn to another.
 */
export class ShardMover {
  /** A membership change runs here now. */
  busy = false;
  /** Move steps run here (metrics): shards and keys moved by steps that completed, steps rolled back. */
  readonly counters = { steps: 0, shards: 0, keys: 0, rolledBack: 0 };

  constructor(
    private readonly o: {
      id: NodeId;
      directory: ShardDirectory;
      local: LocalCoordinator;
      peers: CoordinatorPeers;
      log: Logger;
      failpoint: (name: FailpointName) => void;
      /** A fencing token for the mover: higher than any earlier mover's. */
      token: () => Promise<{ token: number; done: () => Promise<void> }>;
      /** Gives way to this coordinator's transactions during a copy; none: never waits. */
      pacer?: MovePacer;
    },
  ) {}

  /**
   * Finishes or rolls back this coordinator's moves that a crash left half-done (a participant
   * still holds their frozen or incoming mark): if the target serves the move's epoch, the move
   * happened and the source gets the newest map; otherwise both sides roll back. Needs both
   * sides to answer (a target that cannot be asked may have switched). Returns the moves settled.
   */
  async resolveStuck(): Promise<number> {
    if (this.busy) return 0;
    const answers = await this.o.directory.views();
    if (!answers.some((a) => a.ok && [...a.view.frozen, ...a.view.incoming].some((m) => this.isMine(m)))) return 0;
    return this.exclusive((token) => this.settleStuck(token, answers));
  }

  private isMine(m: MoveMark): boolean {
    return m.moveId.startsWith(`${this.o.id}.`);
  }

  private async settleStuck(token: number, answers: HostAnswer[]): Promise<number> {
    const byId = new Map<string, MoveMark>();
    for (const a of answers) if (a.ok) for (const m of [...a.view.frozen, ...a.view.incoming]) if (this.isMine(m)) byId.set(m.moveId, m);
    const newest = newestMap(answers);
    const addrs = newest ? this.o.directory.addresses(newest) : new Map<NodeId, string>();
    let settled = 0;
    for (const mark of byId.values()) {
      const src = answers.find((a) => a.id === mark.from);
      const tgt = answers.find((a) => a.id === mark.to);
      if (!src?.ok || !tgt?.ok || !newest || !addrs.has(mark.from) || !addrs.has(mark.to)) continue;
      const source = this.o.directory.host(mark.from, addrs.get(mark.from)!);
      const target = this.o.directory.host(mark.to, addrs.get(mark.to)!);
      if ((tgt.view.map?.epoch ?? 0) >= mark.epoch) {
        await installMap(source, newest, token, CALL_MS);
        this.o.local.adopt(newest);
        this.o.log.info({ move: mark.moveId, epoch: newest.epoch }, 'half-done move found: the target serves it, the source told');
      } else {
        await unfreeze(source, mark.moveId, token, CALL_MS);
        await dropIncoming(target, mark.moveId, token, CALL_MS);
        this.o.log.info({ move: mark.moveId }, 'half-done move found: rolled back');
      }
      settled++;
    }
    return settled;
  }

  /** Moves the given shards to `to` (each from its current owner). */
  move(shards: number[], to: NodeId, opts: MoveOptions, progress: (p: MoveProgress) => void): Promise<ShardMap> {
    return this.exclusive(async (token) => {
      const map = await this.freshMap();
      if (!map.members.some((m) => m.id === to))
        throw new RequestError('INVALID_ARGUMENT', `${to} is not a participant of the map (epoch ${map.epoch}); add it first`);
      for (const s of shards) {
        if (!Number.isInteger(s) || s < 0 || s >= map.owners.length)
          throw new RequestError('INVALID_ARGUMENT', `shard ${s} does not exist (0..${map.owners.length - 1})`);
      }
      const moves = [...new Set(shards)].filter((s) => map.owners[s] !== to).map((s) => ({ shard: s, from: map.owners[s]!, to }));
      return this.run(moves, opts, token, progress);
    });
  }

  /** Adds a participant to the map, then moves shards to it until every member is within one shard of the others. */
  addParticipant(member: ShardMember, opts: MoveOptions, progress: (p: MoveProgress) => void): Promise<ShardMap> {
    return this.exclusive(async (token) => {
      let map = await this.freshMap();
      const existing = map.members.find((m) => m.id === member.id);
      if (existing && existing.addr !== member.addr) {
        throw new RequestError('FAILED_PRECONDITION', `${member.id} is already a participant at ${existing.addr}, not ${member.addr}`);
      }
      if (!existing) {
        // It must answer before it owns anything: a new, empty participant with no map.
        const view = await getMap(this.o.directory.host(member.id, member.addr), CALL_MS).catch((e: Error) => {
          throw new RequestError('UNAVAILABLE', `${member.id} at ${member.addr} does not answer: ${e.message}`);
        });
        if (view.nodeId !== member.id) throw new RequestError('FAILED_PRECONDITION', `${member.addr} is participant ${view.nodeId}, not ${member.id}`);
        if (view.map && view.map.epoch > map.epoch)
          throw new RequestError('FAILED_PRECONDITION', `${member.id} holds a newer map (epoch ${view.map.epoch}) than the cluster's ${map.epoch}`);
        map = await this.publish(withMoves(map, [], [...map.members, member]), token, null);
        progress({ ...this.idle(map), step: `${member.id} joined the map at epoch ${map.epoch}` });
      }
      const moves = balancingMoves(
        map,
        map.members.map((m) => m.id),
      );
      return this.run(moves, opts, token, progress);
    });
  }

  /** Moves every shard off a participant, then takes it out of the map. */
  removeParticipant(id: NodeId, inDoubt: () => Promise<number>, opts: MoveOptions, progress: (p: MoveProgress) => void): Promise<ShardMap> {
    return this.exclusive(async (token) => {
      let map = await this.freshMap();
      if (!map.members.some((m) => m.id === id)) throw new RequestError('NOT_FOUND', `${id} is not a participant of the map (epoch ${map.epoch})`);
      if (map.members.length === 1) throw new RequestError('FAILED_PRECONDITION', `${id} is the only participant: nothing could take its shards`);
      const n = await inDoubt();
      if (n > 0) throw new RequestError('FAILED_PRECONDITION', `${id} holds ${n} in-doubt transaction(s): settle them first (see dtx status)`);
      const keep = map.members.map((m) => m.id).filter((m) => m !== id);
      map = await this.run(balancingMoves(map, keep), opts, token, progress);
      map = await this.publish(
        withMoves(
          map,
          [],
          map.members.filter((m) => m.id !== id),
        ),
        token,
        null,
      );
      progress({ ...this.idle(map), step: `${id} left the map at epoch ${map.epoch}`, done: true });
      return map;
    });
  }

  private async run(moves: ShardMove[], opts: MoveOptions, token: number, progress: (p: MoveProgress) => void): Promise<ShardMap> {
    const started = Date.now();
    let keysMoved = 0;
    let shardsMoved = 0;
    let map = this.o.local.current();
    const report = (step: string, done = false): void =>
      progress({
        shardsTotal: moves.length,
        shardsMoved,
        keysMoved,
        epoch: map.epoch,
        step,
        done,
        keysPerSecond: keysMoved / Math.max(0.001, (Date.now() - started) / 1000),
      });
    report(moves.length === 0 ? 'already balanced: nothing to move' : `moving ${moves.length} shard(s)`);
    const pacer = opts.fullSpeed ? undefined : this.o.pacer;
    pacer?.begin();
    const per = Math.max(1, opts.shardsPerStep);
    // A move that fits in one step (an operator's `shards move` of a few) stays one step.
    for (const step of stepsOf(moves, per, moves.length > per)) {
      await pacer?.giveWay();
      const r = await this.step(map, step, opts, token, pacer, (keys) => {
        keysMoved += keys;
      });
      map = r;
      shardsMoved += step.length;
      report(`moved ${step.length} shard(s) ${step[0]!.from} → ${step[0]!.to}; ${describeMap(map)}`);
    }
    if (pacer && pacer.pauses > 0) {
      this.o.log.info(
        { pauses: pacer.pauses, pausedMs: Math.round(pacer.pausedMs), levelPerSec: Math.round(pacer.levelPerSec) },
        'the move gave way to transactions',
      );
    }
    report('done', true);
    return map;
  }

  private async step(
    map: ShardMap,
    moves: ShardMove[],
    opts: MoveOptions,
    token: number,
    pacer: MovePacer | undefined,
    copied: (keys: number) => void,
  ): Promise<ShardMap> {
    const from = moves[0]!.from;
    const to = moves[0]!.to;
    const shards = moves.map((m) => m.shard);
    const next = withMoves(map, moves);
    const mark: MoveMark = { moveId: `${this.o.id}.${next.epoch}.${Date.now().toString(36)}`, shards, from, to, epoch: next.epoch };
    const addrs = this.o.directory.addresses(next);
    const source = this.o.directory.host(from, addrs.get(from)!);
    const target = this.o.directory.host(to, addrs.get(to)!);
    const log = this.o.log.child({ move: mark.moveId });
    let targetInstalled = false;
    const t0 = Date.now();
    const phases: Record<string, number> = {};
    const lap = (name: string): void => {
      phases[name] = Date.now() - t0 - Object.values(phases).reduce((a, b) => a + b, 0);
    };
    try {
      // Both sides at the map this step builds on (one may have missed the last step's map).
      await Promise.all([installMap(source, map, token, CALL_MS), installMap(target, map, token, CALL_MS)]);
      lap('installPrev');
      // 1. The bulk of the rows, copied while the source serves them (it notes what changes).
      await importRows(target, mark, [], token, CALL_MS);
      const moved = new Set<string>();
      for (const part of precopyCalls(shards)) await this.precopy(source, target, mark, part, token, opts, moved, copied, pacer);
      lap('precopy');
      this.o.failpoint('coordinator.move.afterPrecopy');
      // 2. No coordinator starts a transaction on the shards; those started finish.
      this.o.local.hold(mark.moveId, shards, HOLD_TTL_MS);
      const missed = await this.o.peers.hold(mark.moveId, shards, HOLD_TTL_MS, DRAIN_TIMEOUT_MS);
      if (missed.length > 0)
        log.warn({ coordinators: missed }, 'coordinators not holding (unreachable): their transactions on the shards will be refused and retried');
      await this.drainLocal(new Set(shards));
      lap('hold');
      // 3. The source takes no new prepares on them and lets its own end.
      await freeze(source, mark, token, DRAIN_TIMEOUT_MS);
      lap('freeze');
      this.o.failpoint('coordinator.move.afterFreeze');
      // 4. What changed since the precopy (all of it if the source lost its note), with fences and locks.
      await this.copy(exportRows(source, mark.moveId, token, COPY_TIMEOUT_MS), target, mark, token, 0, moved, copied);
      const keys = moved.size;
      lap('copy');
      this.o.failpoint('coordinator.move.afterCopy');
      // 5. The target serves first: from here the step only goes forward.
      try {
        await installMap(target, next, token, CALL_MS);
      } catch (e) {
        const v = await getMap(target, CALL_MS).catch(() => null);
        if (!v?.map || v.map.epoch < next.epoch) throw e;
      }
      targetInstalled = true;
      lap('targetInstall');
      this.o.failpoint('coordinator.move.afterTargetInstall');
      const published = await this.publish(next, token, mark.moveId, [from], () => lap('release'));
      lap('publish');
      log.info({ shards: shards.length, keys, from, to, epoch: next.epoch, phasesMs: phases }, 'shards moved');
      this.counters.steps++;
      this.counters.shards += shards.length;
      this.counters.keys += keys;
      return published;
    } catch (e) {
      if (targetInstalled) throw e;
      log.warn({ err: (e as Error).message }, 'move step failed: rolling back');
      this.counters.rolledBack++;
      await this.rollback(mark, source, target, token);
      throw e instanceof RequestError
        ? e
        : new RequestError('ABORTED', `moving shards ${shards.join(',')} ${from} → ${to} failed and was rolled back: ${(e as Error).message}`);
    }
  }

  /**
   * A map from here on: this coordinator and the others route by it, then the participants learn
   * it — those in `required` (a move's source) before this returns, the rest in the background
   * (the coordinators' map sync hands it to any that miss it).
   */
  private async publish(map: ShardMap, token: number, moveId: string | null, required: NodeId[] = [], released = (): void => undefined): Promise<ShardMap> {
    this.o.local.adopt(map);
    if (moveId) this.o.local.release(moveId);
    await this.o.peers.release(moveId ?? '', map);
    released();
    const addrs = this.o.directory.addresses(map);
    const must = new Map([...addrs].filter(([id]) => required.includes(id)));
    const rest = new Map([...addrs].filter(([id]) => !required.includes(id)));
    const others = this.o.directory.installEverywhere(map, token, rest).then((failed) => {
      if (failed.size > 0)
        this.o.log.warn({ epoch: map.epoch, failed: Object.fromEntries(failed) }, 'participants that missed the map get it when they answer again');
    });
    let failed = must;
    for (let attempt = 0; attempt < INSTALL_ATTEMPTS && failed.size > 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
      const errs = await this.o.directory.installEverywhere(map, token, failed);
      failed = new Map([...failed].filter(([id]) => errs.has(id)));
    }
    if (failed.size > 0) {
      // The source still refuses the shards (frozen) and holds their stale rows until it hears the map.
      this.o.log.warn({ epoch: map.epoch, missed: [...failed.keys()] }, 'the source missed the map: it refuses the moved shards until the map sync reaches it');
    }
    // The next change reads a majority (freshMap): this map must be on one before this one ends.
    await others;
    const held = (await this.o.directory.views()).filter((a) => a.ok && (a.view.map?.epoch ?? 0) >= map.epoch).length;
    if (held * 2 <= map.members.length) {
      throw new RequestError(
        'UNAVAILABLE',
        `the map of epoch ${map.epoch} reached only ${held} of ${map.members.length} participants; it is in force, and the next change waits for a majority`,
      );
    }
    return map;
  }

  /** A part of a step's precopy, in a call of its own: the source reads those shards only when the pacer lets the copy go on. */
  private precopy(
    source: ReturnType<ShardDirectory['host']>,
    target: ReturnType<ShardDirectory['host']>,
    mark: MoveMark,
    shards: number[],
    token: number,
    opts: MoveOptions,
    moved: Set<string>,
    copied: (keys: number) => void,
    pacer: MovePacer | undefined,
  ): Promise<void> {
    const rows = exportRows(source, mark.moveId, token, COPY_TIMEOUT_MS, { mark, shards });
    return this.copy(rows, target, mark, token, opts.maxKeysPerSecond, moved, copied, pacer);
  }

  /**
   * Copies an export's rows into the target, at most `maxKeysPerSecond` data rows a second (0: no
   * limit). `moved` holds the step's keys on the target so far (a key copied again after it
   * changed counts once; one deleted since the precopy not at all): what progress reports.
   */
  private async copy(
    rows: AsyncIterable<RelayedRow[]>,
    target: ReturnType<ShardDirectory['host']>,
    mark: MoveMark,
    token: number,
    maxKeysPerSecond: number,
    moved: Set<string>,
    copied: (keys: number) => void,
    /** Only while nothing is held or frozen (the precopy). */
    pacer?: MovePacer,
  ): Promise<void> {
    const started = Date.now();
    let rowsCopied = 0;
    const chunks = rows[Symbol.asyncIterator]();
    try {
      for (;;) {
        await pacer?.giveWay();
        // The copy's work: the source reading the chunk, this node relaying it, the target storing it.
        const working = performance.now();
        const next = await chunks.next();
        if (next.done) return;
        const chunk = next.value;
        await importRows(target, mark, chunk, token, CALL_MS * 2);
        pacer?.worked(performance.now() - working);
        const before = moved.size;
        for (const r of chunk) {
          if (!r.key.startsWith('k!')) continue;
          rowsCopied++;
          if (r.deleted) moved.delete(r.key);
          else moved.add(r.key);
        }
        copied(Math.max(0, moved.size - before));
        if (maxKeysPerSecond > 0) {
          const ahead = (rowsCopied / maxKeysPerSecond) * 1000 - (Date.now() - started);
          if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
        }
      }
    } finally {
      await chunks.return?.(undefined);
    }
  }

  private async rollback(mark: MoveMark, source: ReturnType<ShardDirectory['host']>, target: ReturnType<ShardDirectory['host']>, token: number): Promise<void> {
    await Promise.allSettled([unfreeze(source, mark.moveId, token, CALL_MS), dropIncoming(target, mark.moveId, token, CALL_MS)]);
    this.o.local.release(mark.moveId);
    await this.o.peers.release(mark.moveId, null).catch(() => undefined);
  }

  private async drainLocal(shards: ReadonlySet<number>): Promise<void> {
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    for (;;) {
      const left = this.o.local.undecidedOnShards(shards);
      if (left.length === 0) return;
      if (Date.now() > deadline) throw new RequestError('ABORTED', `${left.length} transaction(s) on the shards did not finish within ${DRAIN_TIMEOUT_MS} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /**
   * The newest map, read from a majority of the participants: every map a move made reached a
   * majority before the move ended (publish), and two majorities share a participant, so no
   * change is built on a map older than the last one made — even by a mover on another
   * coordinator, even with the last move's target down.
   */
  private async freshMap(): Promise<ShardMap> {
    const answers = await this.o.directory.views();
    const current = this.o.local.current();
    const members = new Set(current.members.map((m) => m.id));
    const reached = answers.filter((a) => a.ok && members.has(a.id)).length;
    if (reached * 2 <= members.size) {
      throw new RequestError(
        'UNAVAILABLE',
        `only ${reached} of ${members.size} participants answer: the shard map changes only with a majority of them reachable`,
      );
    }
    const newest = newestMap(answers);
    if (newest && newest.epoch > current.epoch) this.o.local.adopt(newest);
    return this.o.local.current();
  }

  private idle(map: ShardMap): MoveProgress {
    return { shardsTotal: 0, shardsMoved: 0, keysMoved: 0, epoch: map.epoch, step: '', done: false, keysPerSecond: 0 };
  }

  private async exclusive<T>(fn: (token: number) => Promise<T>): Promise<T> {
    if (this.busy) throw new RequestError('FAILED_PRECONDITION', `coordinator ${this.o.id} is already changing the shard map; wait for it to finish`);
    this.busy = true;
    try {
      const lease = await this.o.token();
      try {
        // A move of ours a crash left half-done is settled before anything new starts.
        await this.settleStuck(lease.token, await this.o.directory.views());
        return await fn(lease.token);
      } finally {
        await lease.done();
      }
    } finally {
      this.busy = false;
    }
  }
}

/** A step's precopy calls: a shard each (at most PRECOPY_CALLS; a wide step of small shards is not a hundred calls). */
export function precopyCalls(shards: readonly number[]): number[][] {
  const per = Math.ceil(shards.length / PRECOPY_CALLS);
  const out: number[][] = [];
  for (let i = 0; i < shards.length; i += per) out.push(shards.slice(i, i + per));
  return out;
}

/**
 * Moves grouped into steps: one source and one target each, at most `per` shards. With `rampUp`
 * the first steps are smaller (1, 2, 4, ... shards): a new participant's first imports run cold
 * code on a busy machine, and a first step that fails has little to roll back.
 */
export function stepsOf(moves: readonly ShardMove[], per: number, rampUp = false): ShardMove[][] {
  const byPair = new Map<string, ShardMove[]>();
  for (const m of moves) {
    const k = `${m.from}\n${m.to}`;
    byPair.set(k, [...(byPair.get(k) ?? []), m]);
  }
  // Interleave pairs so that every source gives a little at a time.
  const queues = [...byPair.values()];
  const out: ShardMove[][] = [];
  while (queues.some((q) => q.length > 0)) {
    for (const q of queues) if (q.length > 0) out.push(q.splice(0, rampUp ? Math.min(per, 2 ** Math.min(out.length, 30)) : per));
  }
  return out;
}
