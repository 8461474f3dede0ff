import type { ShardView } from '../protocol/participantCore.js';
import { DEFAULT_SHARD_COUNT, sameMap, shardMapProblem, shardOf, type ShardMap } from '../protocol/shardMap.js';
import type { NodeId, TxnId } from '../protocol/types.js';
import type { RecoveredGrant } from '../protocol/leaseTable.js';
import type { ParticipantOutcomeRecord } from '../protocol/records.js';
import type { BatchOp } from '../storage/kvEngine.js';
import { LKEY } from '../storage/lockStore.js';
import type { ParticipantStore } from '../storage/participantStore.js';
import { outcomeIndexRows, PKEY } from '../storage/participantStore.js';
import {
  decodeGrant,
  decodeLastToken,
  decodeParticipantOutcome,
  decodeStoredValue,
  encodeGrant,
  encodeLastToken,
  encodeParticipantOutcome,
} from '../storage/recordCodec.js';
import type { FailpointName, RuntimeClock, RuntimeLog } from './env.js';
import type { PlantedBug } from './plantedBugs.js';
import { RequestError } from './requestError.js';
import { ShardChangeTracker } from './shardChangeTracker.js';
import { changedRows, inChunks, shardRows, type ShardRow } from './shardExport.js';

/** A move as a participant holds it: frozen on the source, incoming on the target. */
export interface MoveMark {
  moveId: string;
  shards: number[];
  from: NodeId;
  to: NodeId;
  /** The map epoch the move produces. */
  epoch: number;
}

export interface ShardHostView {
  map: ShardMap | null;
  frozen: MoveMark[];
  incoming: MoveMark[];
  /** Prepared transactions here waiting for their decision. */
  inDoubt: number;
  /** The first 100 of them. */
  inDoubtTxns: string[];
}

export type { ShardRow };

/** The lock service's side of a move: which locks go with the shards, and taking in those that come. */
export interface ShardLockPort {
  grantsOf(names: (name: string) => boolean): RecoveredGrant[];
  highestToken(): number;
  adopt(grants: RecoveredGrant[], lastToken: number): void;
}

/** The one export row that carries the moving shards' locks: their last grants and the token counter. */
const MOVED_LOCKS_ROW = 'm!locks.moved';

/** Where a participant keeps its map and moves (apart from the protocol records). */
export const SKEY = {
  map: 'm!shards.map',
  frozen: 'm!shards.frozen',
  incoming: 'm!shards.incoming',
  moverToken: 'm!shards.moverToken',
  /** Shards a map install took away whose rows are still to delete (a restart finishes them). */
  dropping: 'm!shards.dropping',
} as const;

/** The participant core's side of this host: which shards it serves, and who still uses them. */
export interface ShardCorePort {
  setShardView(view: ShardView): void;
  liveOnShards(shards: ReadonlySet<number>, shardCount: number): TxnId[];
  inDoubt(): TxnId[];
  /** A branch of the transaction is in memory here (running, in doubt, or finishing). */
  isLive(txn: TxnId): boolean;
  /** Memory's outcome of a finished transaction is stale: an imported record replaced it. */
  forgetFinished(txn: TxnId): void;
}

const REAL_CLOCK: RuntimeClock = {
  now: () => Date.now(),
  after: (ms, fn) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

const EXPORT_CHUNK_ROWS = 1000;
/** A chunk's rows together at most this (the message limit is far above; small chunks keep each import short). */
const EXPORT_CHUNK_BYTES = 256 << 10;
/** A precopy's note of changes: at most this many rows (past it, the frozen export copies everything). */
const TRACKED_ROWS_MAX = 500_000;
/** Precopies noted at once, and how long a note lives without its move going on. */
const TRACKERS_MAX = 4;
const TRACKER_TTL_MS = 10 * 60_000;
const DRAIN_POLL_MS = 5;
const MAX_DRAIN_MS = 60_000;

/**
 * A participant's shard map and its half of every move: it serves only the shards its map gives
 * it and not frozen; a move freezes shards on the source (no new prepares, then waits for the
 * transactions on them to end), copies their rows to the target (incoming: stored, not served),
 * and the new map makes the target serve them and the source drop them. Every step is durable
 * before it is answered and can be repeated; a mover's token lower than one seen is refused, so a
 * mover that lost its lease cannot undo a newer one's work.
 */
export class ShardHost {
  private map: ShardMap | null = null;
  private frozen: MoveMark[] = [];
  private incoming: MoveMark[] = [];
  /**
   * Incoming moves opened by this process. Their rows are written without sync (the map install
   * that ends the move is synced, and LevelDB's log keeps order); a move opened before a restart
   * may have lost rows, so it takes no more and rolls back.
   */
  private readonly openedHere = new Set<string>();
  private moverToken = 0;
  /** Steps run one at a time: each reads and rewrites the marks. */
  private queue: Promise<unknown> = Promise.resolve();
  /** The node is stopping (or, simulated, crashed): no step writes any more. */
  private stopped = false;
  /** Moves precopied from here, by id: what changed in their shards since (in memory: lost on a restart, then all is copied). */
  private readonly trackers = new Map<string, { tracker: ShardChangeTracker; stop: () => void }>();

  constructor(
    private readonly o: {
      id: NodeId;
      store: ParticipantStore;
      core: ShardCorePort;
      locks: ShardLockPort;
      log: RuntimeLog;
      /** For tests and chaos: a named place in a move where the node may be made to crash. */
      failpoint: (name: FailpointName) => void;
      /** Time for the drain's polling (the simulator's; default real time). */
      clock?: RuntimeClock;
      /** Planted for tests: shards.copyWithoutDrain, shards.precopyMissesChanges, shards.precopyNoteRestarted. */
      bug?: PlantedBug | null;
    },
  ) {}

  async open(): Promise<void> {
    const raw = this.o.store.store.engine;
    const parse = <T>(key: string, fallback: T): Promise<T> =>
      raw.get(key).then((v) => {
        if (v === undefined) return fallback;
        try {
          return JSON.parse(v) as T;
        } catch {
          throw new Error(`participant ${this.o.id}: ${key} is not JSON: the shard state is corrupt`);
        }
      });
    const map = await parse<ShardMap | null>(SKEY.map, null);
    if (map) {
      const problem = shardMapProblem(map);
      if (problem) throw new Error(`participant ${this.o.id}: its stored shard map is invalid: ${problem}`);
    }
    this.map = map;
    this.frozen = await parse<MoveMark[]>(SKEY.frozen, []);
    this.incoming = await parse<MoveMark[]>(SKEY.incoming, []);
    this.moverToken = await parse<number>(SKEY.moverToken, 0);
    this.publish();
    // A restart between a map install and the end of its deletes: the rows of the shards it lost
    // would stay here for good (unserved, but a second copy of every key in them). In the step
    // queue, not awaited: a move's next step here waits for it, serving does not.
    const dropping = await parse<unknown>(SKEY.dropping, []);
    if (Array.isArray(dropping) && dropping.length > 0) {
      const shards = dropping.filter((s): s is number => typeof s === 'number');
      this.serial(() => this.dropLostShards(shards)).catch((err: unknown) => {
        this.o.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'rows of shards moved away not deleted yet: again at the next start');
      });
    }
  }

  stop(): void {
    this.stopped = true;
    for (const id of [...this.trackers.keys()]) this.endTracker(id);
  }

  view(): ShardHostView {
    const inDoubt = this.o.core.inDoubt();
    return { map: this.map, frozen: [...this.frozen], incoming: [...this.incoming], inDoubt: inDoubt.length, inDoubtTxns: inDoubt.slice(0, 100) };
  }

  /** Installs a newer map (or the same one again): lost shards stop being served, then their rows go. */
  install(map: ShardMap, token: number): Promise<ShardHostView> {
    return this.serial(async () => {
      const problem = shardMapProblem(map);
      if (problem) throw new RequestError('INVALID_ARGUMENT', `shard map: ${problem}`);
      if (map.owners.length !== DEFAULT_SHARD_COUNT)
        throw new RequestError('INVALID_ARGUMENT', `a map of ${map.owners.length} shards; rows here are laid out by ${DEFAULT_SHARD_COUNT}`);
      // Token 0: a map some participant already holds, passed on to one that missed it.
      if (token !== 0) this.checkToken(token);
      const cur = this.map;
      if (cur) {
        if (map.owners.length !== cur.owners.length) {
          throw new RequestError('FAILED_PRECONDITION', `the map has ${map.owners.length} shards; this cluster has ${cur.owners.length} (fixed for its life)`);
        }
        if (map.epoch < cur.epoch) throw new RequestError('FAILED_PRECONDITION', `map epoch ${map.epoch} is older than this participant's ${cur.epoch}`);
        if (map.epoch === cur.epoch) {
          if (!sameMap(map, cur))
            throw new RequestError('FAILED_PRECONDITION', `another map with epoch ${map.epoch} is installed here: two movers made one epoch`);
          return this.view();
        }
      }
      const lost = cur ? cur.owners.flatMap((o, s) => (o === this.o.id && map.owners[s] !== this.o.id ? [s] : [])) : [];
      // Incoming moves the map completes end; those it contradicts lose their rows with the rest.
      const stillIncoming = this.incoming.filter((m) => m.epoch > map.epoch);
      const strays = this.incoming.filter((m) => m.epoch <= map.epoch).flatMap((m) => m.shards.filter((s) => map.owners[s] !== this.o.id));
      this.o.failpoint('participant.shards.install.before');
      // PLANTED BUG participant.mapWriteSkipped: nothing of this participant's changes, so nothing is written.
      const skipWrite =
        this.o.bug === 'participant.mapWriteSkipped' && sameOwnShards(cur, map, this.o.id) && this.incoming.length === 0 && this.frozen.length === 0;
      // PLANTED BUG participant.lostShardRowsKept: the lost shards worked out against the map just adopted (none).
      const gone = this.o.bug === 'participant.lostShardRowsKept' ? [] : lost;
      const dropping = [...new Set([...gone, ...strays])];
      if (!skipWrite) {
        await this.write(
          [
            { type: 'put', key: SKEY.map, value: JSON.stringify(map) },
            { type: 'put', key: SKEY.frozen, value: JSON.stringify(this.frozen.filter((m) => m.epoch > map.epoch)) },
            { type: 'put', key: SKEY.incoming, value: JSON.stringify(stillIncoming) },
            // With the map: a restart before the deletes below end finishes them (see open).
            ...(dropping.length > 0 ? [{ type: 'put', key: SKEY.dropping, value: JSON.stringify(dropping) } as const] : []),
          ],
          true,
        );
      }
      this.map = map;
      this.frozen = this.frozen.filter((m) => m.epoch > map.epoch);
      // A precopy of shards no longer served here is of no use.
      for (const [id, t] of [...this.trackers]) if ([...t.tracker.shards].some((x) => map.owners[x] !== this.o.id)) this.endTracker(id);
      this.incoming = stillIncoming;
      this.forgetEndedIncoming();
      this.publish();
      this.o.log.info({ epoch: map.epoch, lost: lost.length }, 'shard map installed');
      // Rows of shards no longer served are unreachable now; deleting them keeps a later move
      // back from finding stale ones (an import clears its shards first as well).
      if (dropping.length > 0) {
        this.o.failpoint('participant.shards.install.written');
        await this.dropLostShards(dropping);
      }
      return this.view();
    });
  }

  /** Stops new prepares on the shards (durably), then waits until no transaction here touches them. */
  freeze(mark: MoveMark, token: number, drainTimeoutMs: number): Promise<ShardHostView> {
    return this.serial(async () => {
      this.checkToken(token);
      const map = this.requireMap();
      const existing = this.frozen.find((m) => m.moveId === mark.moveId);
      if (!existing) {
        this.checkSourceOf(mark, map);
        for (const s of mark.shards) {
          const other = this.frozen.find((m) => m.shards.includes(s));
          if (other) throw new RequestError('FAILED_PRECONDITION', `shard ${s} is already moving (move ${other.moveId})`);
        }
        const frozen = [...this.frozen, { ...mark, shards: [...mark.shards] }];
        await this.write([{ type: 'put', key: SKEY.frozen, value: JSON.stringify(frozen) }], true);
        this.frozen = frozen;
        this.publish();
        this.o.failpoint('participant.shards.freeze.after');
      }
      if (this.o.bug !== 'shards.copyWithoutDrain')
        await this.drain(new Set(mark.shards), Math.min(Math.max(drainTimeoutMs, 0), MAX_DRAIN_MS), map.owners.length);
      return this.view();
    });
  }

  unfreeze(moveId: string, token: number): Promise<ShardHostView> {
    return this.serial(async () => {
      this.checkToken(token);
      this.endTracker(moveId);
      if (!this.frozen.some((m) => m.moveId === moveId)) return this.view();
      const frozen = this.frozen.filter((m) => m.moveId !== moveId);
      await this.write([{ type: 'put', key: SKEY.frozen, value: JSON.stringify(frozen) }], true);
      this.frozen = frozen;
      this.publish();
      return this.view();
    });
  }

  /**
   * A precopy: the rows of shards this participant still serves, copied to the target before
   * the move freezes them so that the freeze has only what changed since to copy (changes are
   * noted from before the first row is read). Fences and locks come with the frozen export.
   */
  async *precopyRows(mark: MoveMark, token: number, only: readonly number[] = []): AsyncGenerator<ShardRow[]> {
    this.checkToken(token);
    this.checkSourceOf(mark, this.requireMap());
    const ofMove = new Set(mark.shards);
    const shards = only.length > 0 ? [...new Set(only)] : mark.shards;
    for (const s of shards) {
      if (!ofMove.has(s)) throw new RequestError('INVALID_ARGUMENT', `shard ${s} is not one of move ${mark.moveId}'s (${mark.shards.join(',')})`);
    }
    // One note for all of a move's precopy calls: a second call must not forget what the first's shards saw change.
    const noted = this.trackers.get(mark.moveId)?.tracker;
    // PLANTED BUG shards.precopyNoteRestarted: every call starts a new note (and keeps the shards precopied before).
    const restarted = this.o.bug === 'shards.precopyNoteRestarted' && noted ? this.startTracker(mark) : null;
    if (restarted && noted) restarted.precopying(noted.precopiedShards());
    const tracker = restarted ?? (noted?.covers(mark.shards) ? noted : this.startTracker(mark));
    tracker.precopying(shards);
    // Every batch appended before the note began is on disk before the first read (the writer keeps order).
    await this.write([], false);
    // Outcome records of ids that held no op here go once a move: with the call that carries its first shard.
    const unkeyed = shards.includes(mark.shards[0]!);
    yield* inChunks(shardRows(this.o.store.store.engine, shards, unkeyed), EXPORT_CHUNK_ROWS, EXPORT_CHUNK_BYTES);
  }

  /**
   * The rows a frozen move carries, in chunks: what changed in its shards since their precopy
   * from this process (else all their rows: data and the outcome records of the transactions
   * that touched them — a retried prepare must find them on the new owner), every fencing
   * high-water mark (few; the target keeps the higher of two) and the shards' locks.
   */
  async *exportRows(moveId: string, token: number): AsyncGenerator<ShardRow[]> {
    this.checkToken(token);
    const mark = this.frozen.find((m) => m.moveId === moveId);
    if (!mark) throw new RequestError('FAILED_PRECONDITION', `move ${moveId} is not frozen on ${this.o.id}: nothing to export`);
    const count = this.requireMap().owners.length;
    const engine = this.o.store.store.engine;
    // The drained transactions' last records are written before anything is read.
    await this.write([], false);
    const noted = this.trackers.get(moveId)?.tracker;
    const delta = noted?.completes(mark.shards) ? noted : null;
    const locks = await this.movingLocks(new Set(mark.shards), count);
    const rest = async function* (): AsyncGenerator<ShardRow> {
      for (const [key, value] of await engine.scan(PKEY.fencePrefix)) yield { key, value };
      yield { key: MOVED_LOCKS_ROW, value: JSON.stringify(locks) };
    };
    const rows = async function* (): AsyncGenerator<ShardRow> {
      yield* delta ? changedRows(engine, delta) : shardRows(engine, mark.shards);
      yield* rest();
    };
    yield* inChunks(rows(), EXPORT_CHUNK_ROWS, EXPORT_CHUNK_BYTES);
    this.endTracker(moveId);
  }

  private startTracker(mark: MoveMark): ShardChangeTracker {
    const now = (this.o.clock ?? REAL_CLOCK).now();
    this.endTracker(mark.moveId);
    for (const [id, t] of [...this.trackers]) if (now - t.tracker.startedAt > TRACKER_TTL_MS) this.endTracker(id);
    if (this.trackers.size >= TRACKERS_MAX) {
      throw new RequestError('RESOURCE_EXHAUSTED', `${this.trackers.size} precopies are already running from ${this.o.id} (at most ${TRACKERS_MAX})`);
    }
    const tracker = new ShardChangeTracker(mark.moveId, new Set(mark.shards), now, TRACKED_ROWS_MAX);
    const stop = this.o.bug === 'shards.precopyMissesChanges' ? () => undefined : this.o.store.store.observeAppends((ops) => tracker.note(ops));
    this.trackers.set(mark.moveId, { tracker, stop });
    return tracker;
  }

  private endTracker(moveId: string): void {
    this.trackers.get(moveId)?.stop();
    this.trackers.delete(moveId);
  }

  /**
   * Why this participant does not serve a lock now (null: it does). A lock lives where its name's
   * shard does; while the shard moves, its lock is served nowhere (keep-alives fail, so no lease
   * outlives the lock-delay the target starts).
   */
  lockRefusal(name: string): { moving: boolean; message: string } | null {
    const map = this.map;
    if (!map) return { moving: true, message: `participant ${this.o.id} has no shard map yet` };
    const shard = shardOf(name, map.owners.length);
    const owner = map.owners[shard]!;
    if (owner !== this.o.id)
      return { moving: false, message: `lock ${JSON.stringify(name.slice(0, 80))} lives on ${owner} (shard ${shard}, map epoch ${map.epoch})` };
    const move = this.frozen.find((m) => m.shards.includes(shard));
    if (move) return { moving: true, message: `lock ${JSON.stringify(name.slice(0, 80))} is moving to ${move.to} with shard ${shard}; retry shortly` };
    return null;
  }

  /** The locks of `shards` (in memory and on disk) with the token counter: the target's lock-delay and floor. */
  private async movingLocks(shards: ReadonlySet<number>, count: number): Promise<{ grants: RecoveredGrant[]; lastToken: number }> {
    const inShards = (name: string): boolean => shards.has(shardOf(name, count));
    const byName = new Map<string, RecoveredGrant>();
    const store = this.o.store.store;
    for (const { value } of await store.scanDecoded(LKEY.grantPrefix, decodeGrant)) if (inShards(value.name)) byName.set(value.name, value);
    for (const g of this.o.locks.grantsOf(inShards)) {
      const had = byName.get(g.name);
      byName.set(g.name, had ? { name: g.name, token: Math.max(had.token, g.token), ttlMs: Math.max(had.ttlMs, g.ttlMs) } : g);
    }
    const stored = (await store.getDecoded(LKEY.lastToken, decodeLastToken)) ?? 0;
    return { grants: [...byName.values()], lastToken: Math.max(stored, this.o.locks.highestToken()) };
  }

  /** Stores rows of an incoming move (the first call opens it and clears stale rows of its shards). */
  importRows(mark: MoveMark, rows: ShardRow[], token: number): Promise<number> {
    return this.serial(async () => {
      this.checkToken(token);
      const map = this.requireMap();
      let open = this.incoming.find((m) => m.moveId === mark.moveId);
      if (!open) {
        if (mark.to !== this.o.id) throw new RequestError('INVALID_ARGUMENT', `move ${mark.moveId} goes to ${mark.to}, not ${this.o.id}`);
        if (mark.epoch !== map.epoch + 1)
          throw new RequestError('FAILED_PRECONDITION', `move ${mark.moveId} makes epoch ${mark.epoch}; this participant is at ${map.epoch}`);
        this.checkShards(mark.shards, map);
        for (const s of mark.shards) {
          if (map.owners[s] === this.o.id) throw new RequestError('FAILED_PRECONDITION', `shard ${s} is already served by ${this.o.id}`);
        }
        await this.deleteShardRows(new Set(mark.shards));
        open = { ...mark, shards: [...mark.shards] };
        const incoming = [...this.incoming, open];
        await this.write([{ type: 'put', key: SKEY.incoming, value: JSON.stringify(incoming) }], true);
        this.incoming = incoming;
        this.openedHere.add(open.moveId);
        this.o.failpoint('participant.shards.import.opened');
      } else if (!this.openedHere.has(open.moveId)) {
        throw new RequestError(
          'FAILED_PRECONDITION',
          `move ${open.moveId} was opened before ${this.o.id} restarted: rows copied then may not be on disk; the move must roll back`,
        );
      }
      if (rows.length === 0) return 0;
      const lockRow = rows.find((r) => r.key === MOVED_LOCKS_ROW);
      const locks = lockRow ? this.validatedLocks(lockRow.value, new Set(open.shards), map.owners.length) : null;
      const ops = await this.validatedRows(
        rows.filter((r) => r !== lockRow),
        new Set(open.shards),
        map.owners.length,
      );
      if (locks) {
        // Durable first: a restart here keeps them in lock-delay and the counter above the source's.
        const stored = (await this.o.store.store.getDecoded(LKEY.lastToken, decodeLastToken)) ?? 0;
        for (const g of locks.grants) ops.push({ type: 'put', key: LKEY.grant(g.name), value: encodeGrant(g) });
        ops.push({ type: 'put', key: LKEY.lastToken, value: encodeLastToken(Math.max(stored, locks.lastToken, this.o.locks.highestToken())) });
      }
      // Unsynced: the target serves these rows only once the map that ends the move is installed,
      // a synced write behind them in the same log. The locks row (one a step) is synced at once.
      await this.write(ops, locks !== null);
      this.o.failpoint('participant.shards.import.rowsWritten');
      for (const op of ops) {
        if (!op.key.startsWith(PKEY.outcomePrefix)) continue;
        const txn = op.key.slice(PKEY.outcomePrefix.length);
        this.o.store.noteOutcome(txn);
        this.o.core.forgetFinished(txn);
      }
      if (locks) this.o.locks.adopt(locks.grants, locks.lastToken);
      return ops.length;
    });
  }

  /** Rolls an incoming move back: its rows go, the mark ends. */
  dropIncoming(moveId: string, token: number): Promise<ShardHostView> {
    return this.serial(async () => {
      this.checkToken(token);
      const mark = this.incoming.find((m) => m.moveId === moveId);
      if (!mark) return this.view();
      const map = this.requireMap();
      await this.deleteShardRows(new Set(mark.shards.filter((s) => map.owners[s] !== this.o.id)));
      const incoming = this.incoming.filter((m) => m.moveId !== moveId);
      await this.write([{ type: 'put', key: SKEY.incoming, value: JSON.stringify(incoming) }], true);
      this.incoming = incoming;
      this.forgetEndedIncoming();
      return this.view();
    });
  }

  private validatedLocks(raw: string, shards: ReadonlySet<number>, count: number): { grants: RecoveredGrant[]; lastToken: number } {
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      throw new RequestError('INVALID_ARGUMENT', 'the moved locks row is not JSON');
    }
    const o = v as { grants?: unknown; lastToken?: unknown };
    const ok = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
    if (!Array.isArray(o.grants) || !ok(o.lastToken)) throw new RequestError('INVALID_ARGUMENT', 'the moved locks row needs grants[] and lastToken');
    const grants: RecoveredGrant[] = [];
    for (const g of o.grants as { name?: unknown; token?: unknown; ttlMs?: unknown }[]) {
      if (typeof g.name !== 'string' || !g.name || !ok(g.token) || !ok(g.ttlMs))
        throw new RequestError('INVALID_ARGUMENT', 'a moved lock needs name, token and ttlMs');
      if (!shards.has(shardOf(g.name, count)))
        throw new RequestError('INVALID_ARGUMENT', `lock ${JSON.stringify(g.name.slice(0, 80))} is not in the move's shards`);
      grants.push({ name: g.name, token: g.token, ttlMs: g.ttlMs });
    }
    return { grants, lastToken: o.lastToken };
  }

  /** Rows from a peer are checked like any input: keys in the move's shards, records that decode. */
  private async validatedRows(rows: ShardRow[], shards: ReadonlySet<number>, count: number): Promise<BatchOp[]> {
    const ops: BatchOp[] = [];
    // What this participant already holds of the outcome and fence rows, read in one call (a step
    // carries thousands of outcome records; one read each was most of a target's import time).
    const lookedUp = rows.filter((r) => !r.deleted && (r.key.startsWith(PKEY.outcomePrefix) || r.key.startsWith(PKEY.fencePrefix))).map((r) => r.key);
    const held = await this.readMany(lookedUp);
    for (const r of rows) {
      const at = { node: `a move to participant ${this.o.id}`, key: r.key };
      try {
        if (r.key.startsWith(PKEY.dataPrefix)) {
          const key = PKEY.keyOfData(r.key);
          if (PKEY.data(key) !== r.key || !shards.has(shardOf(key, count))) {
            throw new RequestError('INVALID_ARGUMENT', `row ${JSON.stringify(r.key.slice(0, 80))} is not a data row of the move's shards`);
          }
          if (r.deleted) {
            ops.push({ type: 'del', key: r.key });
            continue;
          }
          decodeStoredValue(r.value, at);
          ops.push({ type: 'put', key: r.key, value: r.value });
        } else if (r.deleted) {
          throw new RequestError('INVALID_ARGUMENT', `row ${JSON.stringify(r.key.slice(0, 80))}: only data rows can be deleted by a move`);
        } else if (r.key.startsWith(PKEY.outcomePrefix)) {
          const incoming = decodeParticipantOutcome(r.value, at);
          // A branch of it runs here: this log's own vote decides here, its peers ask the source.
          if (this.o.core.isLive(incoming.txn)) continue;
          const index = outcomeIndexRows(incoming.txn, incoming.outcome === 'COMMITTED' ? incoming.results.map((x) => x.key) : incoming.keys);
          const mine = held.get(r.key);
          if (mine === undefined) {
            ops.push({ type: 'put', key: r.key, value: r.value }, ...index);
            continue;
          }
          // The same record (a shard coming back to where it was): nothing to merge or write.
          if (mine === r.value) continue;
          const here = decodeParticipantOutcome(mine, this.o.store.store.at(r.key));
          // An abort forced where the id never ran (no keys) says nothing against a branch's record:
          // the branch's record replaces one here, and one from the source is not needed.
          if (!hasKeys(incoming)) continue;
          if (!hasKeys(here)) {
            ops.push({ type: 'put', key: r.key, value: r.value }, ...index);
            continue;
          }
          if (here.outcome !== incoming.outcome) {
            throw new RequestError(
              'FAILED_PRECONDITION',
              `txn ${incoming.txn} is ${incoming.outcome} on the source but ${here.outcome} here: refusing the move`,
            );
          }
          const keys = [...new Set([...(here.keys ?? []), ...(incoming.keys ?? [])])];
          // One result per (op, key): a record copied again by a later move must not grow.
          const results = [...new Map([...here.results, ...incoming.results].map((x) => [`${x.index ?? ''}|${x.key}`, x])).values()];
          const merged = { ...here, results, ...(keys.length ? { keys } : {}) };
          ops.push({ type: 'put', key: r.key, value: encodeParticipantOutcome(merged) }, ...index);
        } else if (r.key.startsWith(PKEY.fencePrefix)) {
          const theirs = decodeStoredValue(r.value, at);
          const mine = held.get(r.key);
          const ours = mine === undefined ? null : decodeStoredValue(mine, this.o.store.store.at(r.key));
          if (ours === null || tokenOf(theirs.value) > tokenOf(ours.value)) ops.push({ type: 'put', key: r.key, value: r.value });
        } else {
          throw new RequestError('INVALID_ARGUMENT', `row ${JSON.stringify(r.key.slice(0, 80))} is not data, an outcome or a fence`);
        }
      } catch (e) {
        if (e instanceof RequestError) throw e;
        throw new RequestError('INVALID_ARGUMENT', (e as Error).message);
      }
    }
    return ops;
  }

  /**
   * Deletes the rows of shards a map install took away, then the note that they are to go. Only
   * shards this participant neither serves nor awaits: the note is written with a map, and one
   * read at a restart must not touch a shard that came back since.
   */
  private async dropLostShards(shards: readonly number[]): Promise<void> {
    const map = this.requireMap();
    const awaited = new Set(this.incoming.flatMap((m) => m.shards));
    const gone = shards.filter((s) => Number.isInteger(s) && s >= 0 && s < map.owners.length && map.owners[s] !== this.o.id && !awaited.has(s));
    await this.deleteShardRows(new Set(gone));
    // Unsynced: LevelDB's log keeps order, so no later write (a move bringing a shard back) can
    // outlive it while the note does.
    await this.write([{ type: 'del', key: SKEY.dropping }], false);
    if (gone.length > 0) this.o.log.info({ shards: gone.length }, 'rows of shards moved away deleted');
  }

  private async deleteShardRows(shards: ReadonlySet<number>): Promise<void> {
    if (shards.size === 0) return;
    const keys: string[] = [];
    for (const shard of shards) keys.push(...(await this.o.store.store.engine.scanKeys(PKEY.dataShardPrefix(shard))));
    for (let i = 0; i < keys.length; i += EXPORT_CHUNK_ROWS) {
      await this.write(
        keys.slice(i, i + EXPORT_CHUNK_ROWS).map((key): BatchOp => ({ type: 'del', key })),
        false,
      );
    }
    // Cached values of those keys are no longer this participant's to serve.
    this.o.store.forgetCachedValues(shards);
  }

  private async drain(shards: ReadonlySet<number>, timeoutMs: number, count: number): Promise<void> {
    const clock = this.o.clock ?? REAL_CLOCK;
    const deadline = clock.now() + timeoutMs;
    for (;;) {
      const live = this.o.core.liveOnShards(shards, count);
      if (live.length === 0) return;
      if (clock.now() >= deadline) {
        throw new RequestError(
          'ABORTED',
          `${live.length} transaction(s) on the moving shards did not end within ${timeoutMs} ms on ${this.o.id} (${live.slice(0, 3).join(', ')}): in doubt, or waiting for a coordinator`,
        );
      }
      await new Promise<void>((r) => clock.after(DRAIN_POLL_MS, r));
    }
  }

  /** A move from here: this participant serves every one of its shards at the epoch before it. */
  private checkSourceOf(mark: MoveMark, map: ShardMap): void {
    if (mark.from !== this.o.id) throw new RequestError('INVALID_ARGUMENT', `move ${mark.moveId} is from ${mark.from}, not ${this.o.id}`);
    if (mark.epoch !== map.epoch + 1)
      throw new RequestError('FAILED_PRECONDITION', `move ${mark.moveId} makes epoch ${mark.epoch}; this participant is at ${map.epoch}`);
    this.checkShards(mark.shards, map);
    for (const s of mark.shards) {
      if (map.owners[s] !== this.o.id)
        throw new RequestError('FAILED_PRECONDITION', `shard ${s} is served by ${map.owners[s]}, not ${this.o.id} (epoch ${map.epoch})`);
    }
  }

  private checkShards(shards: number[], map: ShardMap): void {
    if (shards.length === 0) throw new RequestError('INVALID_ARGUMENT', 'a move needs at least one shard');
    for (const s of shards) {
      if (!Number.isInteger(s) || s < 0 || s >= map.owners.length)
        throw new RequestError('INVALID_ARGUMENT', `shard ${s} does not exist (0..${map.owners.length - 1})`);
    }
  }

  private checkToken(token: number): void {
    if (token < this.moverToken) {
      throw new RequestError('FAILED_PRECONDITION', `mover token ${token} is older than ${this.moverToken}: another mover took over the shard map`);
    }
    if (token > this.moverToken && !this.stopped) {
      this.moverToken = token;
      // Unforced: the next forced write of this host carries it to disk before any step is answered.
      this.o.store.store.append([{ type: 'put', key: SKEY.moverToken, value: JSON.stringify(token) }], false, 0, () => undefined);
    }
  }

  /** The participants of the map this one holds, with their addresses (none before a map is installed). */
  members(): { id: string; addr: string }[] {
    return (this.map?.members ?? []).flatMap((m) => (m.addr ? [{ id: m.id, addr: m.addr }] : []));
  }

  private requireMap(): ShardMap {
    if (!this.map) throw new RequestError('FAILED_PRECONDITION', `participant ${this.o.id} has no shard map yet`);
    return this.map;
  }

  private publish(): void {
    const frozen = new Set(this.frozen.flatMap((m) => m.shards));
    this.o.core.setShardView({ epoch: this.map?.epoch ?? 0, owners: this.map?.owners ?? [], frozen });
  }

  private readMany(keys: readonly string[]): Promise<Map<string, string | undefined>> {
    if (keys.length === 0) return Promise.resolve(new Map<string, string | undefined>());
    return new Promise((resolve, reject) =>
      this.o.store.store.engine.getMany(keys, (err, values) => (err ? reject(err) : resolve(new Map(keys.map((k, i) => [k, values[i]] as const))))),
    );
  }

  private forgetEndedIncoming(): void {
    for (const id of this.openedHere) if (!this.incoming.some((m) => m.moveId === id)) this.openedHere.delete(id);
  }

  private write(ops: BatchOp[], sync: boolean): Promise<void> {
    if (this.stopped) return Promise.reject(new RequestError('UNAVAILABLE', `participant ${this.o.id} is stopping`));
    return new Promise((resolve, reject) => this.o.store.store.append(ops, sync, 0, (err) => (err ? reject(err) : resolve())));
  }

  private serial<T>(step: () => Promise<T>): Promise<T> {
    const run = this.queue.then(step, step);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** Planted bug participant.mapWriteSkipped: the two maps give `id` the same shards (no map before counts as none). */
function sameOwnShards(cur: ShardMap | null, next: ShardMap, id: NodeId): boolean {
  return next.owners.every((o, s) => (o === id) === (cur?.owners[s] === id));
}

/** An outcome record of a branch that ran here (a commit's results, or an abort's keys). */
function hasKeys(r: ParticipantOutcomeRecord): boolean {
  return r.outcome === 'COMMITTED' ? r.results.length > 0 : (r.keys?.length ?? 0) > 0;
}

function tokenOf(value: string | null): bigint {
  try {
    return BigInt(value ?? '0');
  } catch {
    return 0n;
  }
}
