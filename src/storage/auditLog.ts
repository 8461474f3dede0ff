import type { NodeStore } from './nodeStore.js';

/** One manual action on a node: who, when, what, on what, why, and how it ended. */
export interface AuditEntry {
  atMs: number;
  nodeId: string;
  actor: string;
  action: string;
  target: string;
  reason: string;
  result: string;
}

const PREFIX = 'a!';
/** The longest text kept per field: an audit entry records, it does not store payloads. */
const MAX_FIELD = 2000;
export const MAX_AUDIT_LIST = 1000;

/**
 * A node's audit log: an append-only run of entries in its own LevelDB, each forced to disk
 * before the action it records is answered (nothing here deletes or rewrites one). Keys sort by
 * time, then by a sequence that continues across restarts.
 */
export class AuditLog {
  private seq = 0;

  private constructor(
    private readonly store: NodeStore,
    private readonly nodeId: string,
  ) {}

  static async open(store: NodeStore, nodeId: string): Promise<AuditLog> {
    const log = new AuditLog(store, nodeId);
    const keys = await store.scanKeys(PREFIX);
    const last = keys.at(-1);
    log.seq = last ? Number(last.split('!')[1] ?? 0) + 1 : 0;
    return log;
  }

  append(e: Omit<AuditEntry, 'atMs' | 'nodeId'>, atMs = Date.now()): Promise<AuditEntry> {
    const cut = (s: string): string => (s.length > MAX_FIELD ? `${s.slice(0, MAX_FIELD)}…` : s);
    const entry: AuditEntry = {
      atMs,
      nodeId: this.nodeId,
      actor: cut(e.actor),
      action: cut(e.action),
      target: cut(e.target),
      reason: cut(e.reason),
      result: cut(e.result),
    };
    const key = `${PREFIX}${String(atMs).padStart(15, '0')}!${String(this.seq++).padStart(10, '0')}`;
    return new Promise((resolve, reject) =>
      this.store.append([{ type: 'put', key, value: JSON.stringify(entry) }], true, 0, (err) => (err ? reject(err) : resolve(entry))),
    );
  }

  /** The newest `limit` entries at or after `sinceMs`, oldest first. */
  async list(sinceMs: number, limit: number): Promise<AuditEntry[]> {
    const rows = await this.store.engine.scan(PREFIX);
    const out: AuditEntry[] = [];
    for (const [, raw] of rows) {
      let e: AuditEntry;
      try {
        e = JSON.parse(raw) as AuditEntry;
      } catch {
        continue;
      }
      if (e.atMs >= sinceMs) out.push(e);
    }
    return out.slice(-Math.max(1, Math.min(limit || MAX_AUDIT_LIST, MAX_AUDIT_LIST)));
  }
}
