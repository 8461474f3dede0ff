import { performance } from 'node:perf_hooks';
import { GroupCommitWriter, type WriterClock } from './groupCommit.js';
import type { BatchOp, KvEngine } from './kvEngine.js';
import { LevelEngine } from './levelEngine.js';
import { decodeIdentity, encodeIdentity, type RecordAt } from './recordCodec.js';

export interface NodeIdentity {
  id: string;
  role: 'coordinator' | 'participant';
}

const META_KEY = 'm!identity';

/** The real clock of a node process's writer: performance.now() and setTimeout. */
export const PROCESS_CLOCK: WriterClock = {
  now: () => performance.now(),
  after: (ms, fn) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

/** One engine per node: its log and (for participants) its data. */
export class NodeStore {
  readonly writer: GroupCommitWriter;
  /** How records name this node in errors: `participant p2`. */
  readonly label: string;
  private readonly observers = new Set<(ops: readonly BatchOp[]) => void>();

  private constructor(
    readonly engine: KvEngine,
    readonly identity: NodeIdentity,
    clock: WriterClock,
  ) {
    this.writer = new GroupCommitWriter(engine, clock);
    this.label = `${identity.role} ${identity.id}`;
  }

  /** Opens a node's store on an engine and refuses one that belongs to another node. */
  static async open(engine: KvEngine, identity: NodeIdentity, clock: WriterClock = PROCESS_CLOCK): Promise<NodeStore> {
    const store = new NodeStore(engine, identity, clock);
    const existing = await engine.get(META_KEY);
    if (existing === undefined) {
      await engine.put(META_KEY, encodeIdentity(identity));
      return store;
    }
    const found = decodeIdentity(existing, store.at(META_KEY));
    if (found.id !== identity.id || found.role !== identity.role) {
      await engine.close();
      throw new Error(`belongs to ${found.role} ${found.id}, not ${identity.role} ${identity.id}`);
    }
    return store;
  }

  /** A node's LevelDB store in `dir`. */
  static async openDir(dir: string, identity: NodeIdentity): Promise<NodeStore> {
    const engine = await LevelEngine.open(dir);
    try {
      return await NodeStore.open(engine, identity);
    } catch (err) {
      throw new Error(`data dir ${dir} ${(err as Error).message}`);
    }
  }

  /** Where a value was read, for CorruptRecord messages. */
  at(key: string): RecordAt {
    return { node: this.label, key };
  }

  /** `lingerMs`: how long the append may wait to share a batch with later ones (see GroupCommitWriter). */
  append(ops: BatchOp[], sync: boolean, lingerMs: number, done: (err: Error | null) => void): void {
    for (const see of this.observers) see(ops);
    this.writer.append(ops, sync, lingerMs, done);
  }

  /**
   * Shows `see` every batch appended from now on, as it is appended (before it is written),
   * until the returned function is called. Once an empty append made after it is done (the
   * writer keeps order), every batch is either on disk or seen: what a copy taken while writes
   * go on needs to catch up later.
   */
  observeAppends(see: (ops: readonly BatchOp[]) => void): () => void {
    this.observers.add(see);
    return () => this.observers.delete(see);
  }

  /** Every entry under a key prefix, decoded; the key is given in full to the decoder. */
  async scanDecoded<T>(prefix: string, decode: (raw: string, at: RecordAt) => T): Promise<{ key: string; value: T }[]> {
    return (await this.engine.scan(prefix)).map(([key, raw]) => ({ key: key.slice(prefix.length), value: decode(raw, this.at(key)) }));
  }

  /** One record by key on the hot path (a callback, as the engine's reads): null when absent; a corrupt one is an error. */
  readOne<T>(key: string, decode: (raw: string, at: RecordAt) => T, done: (err: Error | null, value: T | null) => void): void {
    this.engine.getMany([key], (err, raw) => {
      if (err) return done(err, null);
      try {
        done(null, raw[0] === undefined ? null : decode(raw[0], this.at(key)));
      } catch (e) {
        done(e instanceof Error ? e : new Error(String(e)), null);
      }
    });
  }

  async getDecoded<T>(key: string, decode: (raw: string, at: RecordAt) => T): Promise<T | null> {
    const raw = await this.engine.get(key);
    return raw === undefined ? null : decode(raw, this.at(key));
  }

  /** Every key under a prefix (without the prefix), in key order. */
  async scanKeys(prefix: string): Promise<string[]> {
    return (await this.engine.scanKeys(prefix)).map((k) => k.slice(prefix.length));
  }

  async close(): Promise<void> {
    await this.writer.close();
    await this.engine.close();
  }
}
