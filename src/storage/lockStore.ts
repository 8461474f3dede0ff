import type { LeaseRecord, RecoveredGrant } from '../protocol/leaseTable.js';
import type { BatchOp } from './kvEngine.js';
import type { NodeStore } from './nodeStore.js';
import { decodeGrant, decodeLastToken, encodeGrant, encodeLastToken, type StoredGrant } from './recordCodec.js';

/**
 * Key layout of the lock service in the coordinator's store.
 * - `l!<name>` (name URI-encoded, so any name sorts inside the prefix scan): the newest grant
 *   of a lock that may still have a holder: {name, token, ttlMs}. Recovery uses it for
 *   lock-delay. Deleted (unforced) when the lock goes idle.
 * - `m!locks.lastToken`: the highest fencing token ever issued; written in every grant's batch.
 */
export const LKEY = {
  grant: (name: string) => `l!${encodeURIComponent(name)}`,
  grantPrefix: 'l!',
  lastToken: 'm!locks.lastToken',
} as const;

export class LockStore {
  /** The highest token written so far: what every grant batch stores, so the stored value never goes down. */
  private highest = 0;

  constructor(readonly store: NodeStore) {}

  async recover(): Promise<{ grants: RecoveredGrant[]; lastToken: number }> {
    const grants = (await this.store.scanDecoded(LKEY.grantPrefix, decodeGrant)).map((e) => e.value);
    const stored = (await this.store.getDecoded(LKEY.lastToken, decodeLastToken)) ?? 0;
    this.highest = grants.reduce((m, g) => Math.max(m, g.token), stored);
    return { grants, lastToken: this.highest };
  }

  /**
   * A grant is forced (sync) by the caller before the lease is answered: the token and the
   * lease's ttl are durable before anyone can act on them.
   */
  persist(record: LeaseRecord, sync: boolean, done: (err: Error | null) => void): void {
    let ops: BatchOp[];
    if (record.kind === 'free') {
      ops = [{ type: 'del', key: LKEY.grant(record.name) }];
    } else {
      this.highest = Math.max(this.highest, record.token);
      const g: StoredGrant = { name: record.name, token: record.token, ttlMs: record.ttlMs };
      ops = [
        { type: 'put', key: LKEY.grant(record.name), value: encodeGrant(g) },
        { type: 'put', key: LKEY.lastToken, value: encodeLastToken(this.highest) },
      ];
    }
    // Appends keep their order in the group-commit writer: a later free never overtakes a grant.
    this.store.append(ops, sync, 0, done);
  }
}
