import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { fmix32, fnv1a32 } from '../protocol/routing.js';
import { prefixRange, type BatchOp, type KvEngine } from './kvEngine.js';

type BatchImpl = (ops: readonly BatchOp[], options: { sync: boolean }) => Promise<void>;

/**
 * The memtable LevelDB fills before it writes a level-0 file (its default is 4 MB). With 4 MB a
 * participant compacted 20-25 MB per 10 s in a steady bank run and 40-54 MB while shards moved
 * (its LOG's `Compacted` lines), on the cores the transactions need; with 16 MB, 10-21 MB. The
 * cost: up to 20 MB more log to replay at start (a fraction of a second) and memory per node.
 *
 * Each data dir gets its own size between 12 and 20 MB (from a hash of its path): nodes that share
 * a machine under an even load would otherwise fill their memtables in step and flush and compact
 * at the same moment — three participants compacting 15 MB each within 1.5 s was the worst second
 * of a reshard bench run.
 */
export function writeBufferBytes(dir: string): number {
  // The keys' hash, finaliser included: paths that differ in their last character (p1, p2, p3) land far apart.
  const h = fmix32(fnv1a32(resolve(dir)));
  return Math.round((12 + (8 * h) / 2 ** 32) * 1024 * 1024);
}

/** LevelDB (classic-level) as the storage layer's engine. */
export class LevelEngine implements KvEngine {
  private readonly writeBatch: BatchImpl;

  private constructor(private readonly db: ClassicLevel<string, string>) {
    // abstract-level's public batch() clones and re-encodes every op on the main thread (a
    // tenth of a participant's CPU under load, profiled). Our ops are already what
    // classic-level's binding takes — utf8 strings on a utf8 store, no hooks, no sublevels —
    // so they go to its implementation method directly; the public path remains the fallback.
    const direct = (db as unknown as { _batch?: unknown })._batch;
    const utf8 = db.keyEncoding().format === 'utf8' && db.valueEncoding().format === 'utf8';
    this.writeBatch =
      typeof direct === 'function' && utf8 ? (ops, options) => (direct as BatchImpl).call(db, ops, options) : (ops, options) => db.batch([...ops], options);
  }

  static async open(dir: string): Promise<LevelEngine> {
    mkdirSync(dir, { recursive: true });
    const db = new ClassicLevel<string, string>(dir, { valueEncoding: 'utf8', keyEncoding: 'utf8', writeBufferSize: writeBufferBytes(dir) });
    try {
      await db.open();
    } catch (err) {
      const cause = (err as { cause?: Error }).cause;
      throw new Error(`cannot open data dir ${dir}: ${cause?.message ?? (err as Error).message}`);
    }
    return new LevelEngine(db);
  }

  get isOpen(): boolean {
    return this.db.status === 'open';
  }

  write(ops: readonly BatchOp[], sync: boolean, done: (err: Error | null) => void): void {
    // The implementation method skips abstract-level's open check: never call it on a closed store.
    if (!this.isOpen) return done(new Error('storage is closed'));
    this.writeBatch(ops, { sync }).then(
      () => done(null),
      (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
    );
  }

  getMany(keys: readonly string[], done: (err: Error | null, values: (string | undefined)[]) => void): void {
    this.db.getMany([...keys]).then(
      (values) => done(null, values),
      (err: unknown) => done(err instanceof Error ? err : new Error(String(err)), []),
    );
  }

  get(key: string): Promise<string | undefined> {
    return this.db.get(key);
  }

  put(key: string, value: string): Promise<void> {
    return this.db.put(key, value, { sync: true });
  }

  async scan(prefix: string): Promise<[string, string][]> {
    const out: [string, string][] = [];
    for await (const entry of this.db.iterator(prefixRange(prefix))) out.push(entry);
    return out;
  }

  async scanKeys(prefix: string): Promise<string[]> {
    const out: string[] = [];
    for await (const key of this.db.keys(prefixRange(prefix))) out.push(key);
    return out;
  }

  scanPage(gt: string, lt: string, limit: number, done: (err: Error | null, entries: [string, string][]) => void): void {
    if (!this.isOpen) return done(new Error('storage is closed'), []);
    this.db
      .iterator({ gt, lt, limit })
      .all()
      .then(
        (entries) => done(null, entries),
        (err: unknown) => done(err instanceof Error ? err : new Error(String(err)), []),
      );
  }

  compactRange(gte: string, lt: string): Promise<void> {
    return this.db.compactRange(gte, lt);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
