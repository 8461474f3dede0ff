import { invariant } from './invariant.js';
import { isOlder, type LockRequest, type TxnAge, type TxnId } from './types.js';

interface KeyLock {
  mode: 'S' | 'X';
  owners: Set<TxnId>;
}

export type AcquireResult =
  | { kind: 'granted' }
  /** Every conflicting holder is younger: the requester may wait (wait-die). */
  | { kind: 'wait'; key: string; holders: TxnId[] }
  /** Some conflicting holder is older: the requester dies rather than risk a deadlock. */
  | { kind: 'die'; key: string; holder: TxnId };

/**
 * Per-key shared/exclusive locks, acquired all-or-nothing per transaction. Deadlock
 * freedom comes from wait-die: a transaction only ever waits for younger ones, so no
 * wait-for cycle can form, across participants too. Nothing here takes a lock away.
 */
export class LockTable {
  private readonly locks = new Map<string, KeyLock>();
  private readonly held = new Map<TxnId, { age: TxnAge; keys: LockRequest[]; decided: boolean }>();

  /** Checks every key; grants all of them only if none conflicts. */
  tryAcquire(txn: TxnId, age: TxnAge, requests: readonly LockRequest[]): AcquireResult {
    invariant(!this.held.has(txn), () => `txn ${txn} acquires locks twice`);
    let wait: AcquireResult | undefined;
    for (const req of requests) {
      const lock = this.locks.get(req.key);
      if (!lock || (lock.mode === 'S' && req.mode === 'S')) continue;
      const conflicting = [...lock.owners];
      for (const holder of conflicting) {
        const h = this.held.get(holder)!;
        // A decided holder waits for nothing, so waiting for it cannot close a cycle.
        if (!h.decided && isOlder(h.age, age)) return { kind: 'die', key: req.key, holder };
      }
      wait ??= { kind: 'wait', key: req.key, holders: conflicting };
    }
    if (wait) return wait;
    this.grant(txn, age, requests);
    return { kind: 'granted' };
  }

  /** Re-takes the locks of a prepared transaction at recovery: a conflict here means the log is corrupt. */
  forceAcquire(txn: TxnId, age: TxnAge, requests: readonly LockRequest[]): void {
    invariant(!this.held.has(txn), () => `txn ${txn} recovered twice`);
    for (const req of requests) {
      const lock = this.locks.get(req.key);
      invariant(
        !lock || (lock.mode === 'S' && req.mode === 'S'),
        () => `prepared txns ${[...(lock?.owners ?? [])].join(',')} and ${txn} both hold key ${req.key}`,
      );
    }
    this.grant(txn, age, requests);
  }

  release(txn: TxnId): string[] {
    const entry = this.held.get(txn);
    if (!entry) return [];
    this.held.delete(txn);
    for (const req of entry.keys) {
      const lock = this.locks.get(req.key);
      invariant(lock !== undefined && lock.owners.has(txn), () => `txn ${txn} released key ${req.key} it did not hold`);
      lock.owners.delete(txn);
      if (lock.owners.size === 0) this.locks.delete(req.key);
    }
    return entry.keys.map((k) => k.key);
  }

  /**
   * Drops a holder's shared locks only, keeping its exclusive ones. Only the planted bug
   * participant.releaseReadLocksAtVote calls this: strict 2PL never lets a read lock go early.
   */
  releaseShared(txn: TxnId): string[] {
    const entry = this.held.get(txn);
    if (!entry) return [];
    const shared = entry.keys.filter((k) => k.mode === 'S');
    entry.keys = entry.keys.filter((k) => k.mode === 'X');
    for (const req of shared) {
      const lock = this.locks.get(req.key);
      invariant(lock !== undefined && lock.owners.has(txn), () => `txn ${txn} released key ${req.key} it did not hold`);
      lock.owners.delete(txn);
      if (lock.owners.size === 0) this.locks.delete(req.key);
    }
    return shared.map((k) => k.key);
  }

  /**
   * Drops a holder's exclusive locks only, keeping its shared ones. Only the planted bug
   * participant.earlyLockRelease calls this (early lock release without commit dependencies).
   */
  releaseExclusive(txn: TxnId): string[] {
    const entry = this.held.get(txn);
    if (!entry) return [];
    const exclusive = entry.keys.filter((k) => k.mode === 'X');
    entry.keys = entry.keys.filter((k) => k.mode === 'S');
    for (const req of exclusive) {
      const lock = this.locks.get(req.key);
      invariant(lock !== undefined && lock.owners.has(txn), () => `txn ${txn} released key ${req.key} it did not hold`);
      lock.owners.delete(txn);
      if (lock.owners.size === 0) this.locks.delete(req.key);
    }
    return exclusive.map((k) => k.key);
  }

  /** The holder's outcome is known: it will release soon and never waits again. */
  markDecided(txn: TxnId): void {
    const h = this.held.get(txn);
    invariant(h, () => `txn ${txn} marked decided without holding locks`);
    h.decided = true;
  }

  holds(txn: TxnId): boolean {
    return this.held.has(txn);
  }

  holders(key: string): TxnId[] {
    return [...(this.locks.get(key)?.owners ?? [])];
  }

  get heldCount(): number {
    return this.held.size;
  }

  get lockedKeyCount(): number {
    return this.locks.size;
  }

  private grant(txn: TxnId, age: TxnAge, requests: readonly LockRequest[]): void {
    for (const req of requests) {
      const lock = this.locks.get(req.key);
      if (lock) {
        lock.owners.add(txn);
        if (req.mode === 'X') lock.mode = 'X';
      } else {
        this.locks.set(req.key, { mode: req.mode, owners: new Set([txn]) });
      }
    }
    this.held.set(txn, { age, keys: [...requests], decided: false });
  }
}
