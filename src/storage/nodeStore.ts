import { mkdirSync } from 'node:fs';
import { ClassicLevel } from 'classic-level';
import { GroupCommitWriter, type BatchOp } from './groupCommit.js';

export interface NodeIdentity {
  id: string;
  role: 'coordinator' | 'participant';
}

const META_KEY = 'm!identity';

/** Up to the next prefix, not prefix + '\xff': keys may hold any UTF-8 character. */
function prefixRange(prefix: string): { gte: string; lt: string } {
  return { gte: prefix, lt: prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1) };
}

/** One LevelDB per node: its log and (for participants) its data, under one data dir. */
export class NodeStore {
  readonly writer: GroupCommitWriter;

  private constructor(readonly db: ClassicLevel<string, string>) {
    this.writer = new GroupCommitWriter(db);
  }

  /** Opens (creating) the store and refuses a data dir that belongs to another node. */
  static async open(dir: string, identity: NodeIdentity): Promise<NodeStore> {
    mkdirSync(dir, { recursive: true });
    const db = new ClassicLevel<string, string>(dir, { valueEncoding: 'utf8', keyEncoding: 'utf8' });
    try {
      await db.open();
    } catch (err) {
      const cause = (err as { cause?: Error }).cause;
      throw new Error(`cannot open data dir ${dir}: ${cause?.message ?? (err as Error).message}`);
    }
    const store = new NodeStore(db);
    const existing = await db.get(META_KEY);
    if (existing === undefined) {
      await db.put(META_KEY, JSON.stringify(identity), { sync: true });
    } else {
      const found = JSON.parse(existing) as NodeIdentity;
      if (found.id !== identity.id || found.role !== identity.role) {
        await db.close();
        throw new Error(
          `data dir ${dir} belongs to ${found.role} ${found.id}, not ${identity.role} ${identity.id}`,
        );
      }
    }
    return store;
  }

  /** `lingerMs`: how long the append may wait to share a batch with later ones (see GroupCommitWriter). */
  append(ops: BatchOp[], sync: boolean, lingerMs = 0): Promise<void> {
    return this.writer.append(ops, sync, lingerMs);
  }

  async getJson<T>(key: string): Promise<T | null> {
    const v = await this.db.get(key);
    return v === undefined ? null : (JSON.parse(v) as T);
  }

  async getManyJson<T>(keys: string[]): Promise<(T | null)[]> {
    const vs = await this.db.getMany(keys);
    return vs.map((v) => (v === undefined ? null : (JSON.parse(v) as T)));
  }

  /** Every key under a prefix (without the prefix), in key order; values are not read. */
  async scanKeys(prefix: string): Promise<string[]> {
    const out: string[] = [];
    for await (const key of this.db.keys(prefixRange(prefix))) out.push(key.slice(prefix.length));
    return out;
  }

  /** Every value under a key prefix, in key order. */
  async scanJson<T>(prefix: string): Promise<{ key: string; value: T }[]> {
    const out: { key: string; value: T }[] = [];
    for await (const [key, value] of this.db.iterator(prefixRange(prefix))) {
      out.push({ key: key.slice(prefix.length), value: JSON.parse(value) as T });
    }
    return out;
  }

  async close(): Promise<void> {
    await this.writer.close();
    await this.db.close();
  }
}
