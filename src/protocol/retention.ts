/**
 * Retention: how long a node keeps the records that answer a transaction id again (a
 * coordinator's decisions and tombstones, a participant's outcome records), and how it refuses
 * an id whose record may be gone instead of running it again.
 *
 * The rule is CockroachDB's for collected transaction records: every transaction carries its
 * birth (`bornMs`: the wall-clock time of its first attempt — the client's first_attempt_ms for
 * an id it chose, the coordinator's clock for an id it made) in its request, its prepares and
 * every record written for it. A node
 *   - collects only records born before its durable mark `collectedUpTo` (and raises the mark,
 *     in the same atomic batch, before a record under it can go), and the mark trails the
 *     window by a grace: collectedUpTo <= now - windowMs - graceMs;
 *   - runs nothing new for an id born before now - windowMs: a Transact or prepare of such an id
 *     with no record here is refused (FAILED_PRECONDITION), never run as new;
 *   - answers a question about an id born before `collectedUpTo` with no record here as RETIRED:
 *     "it may have ended here and been collected" — never as "unknown" (which would let a
 *     resolution presume it aborted) and never by writing an abort over what it forgot.
 * The birth of a retried id is the same number in every request and record (it travels, it is not
 * re-read from a clock), so "collected" implies "refused" on every node without comparing clocks;
 * the grace covers the one comparison left (a coordinator's window check against a participant's
 * collection) and must exceed the clock skew between nodes.
 */
export interface RetentionRule {
  /** Records of transactions born more than this long ago may be collected; such ids are refused. */
  windowMs: number;
  /** How far behind the window collection stays (clock skew between nodes, a GC tick). */
  graceMs: number;
}

/** 24 h: far beyond any client's retry horizon; a busy node's records of one day fit on disk. */
export const DEFAULT_RETENTION_MS = 24 * 3600_000;

/** The grace of a window: a tenth of it, at least 1 s and at most 10 min. */
export function graceFor(windowMs: number): number {
  return Math.min(600_000, Math.max(1000, Math.floor(windowMs / 10)));
}

export function retentionRule(windowMs: number): RetentionRule {
  return { windowMs, graceMs: graceFor(windowMs) };
}

/** An id born before this (and with no record) is not run, prepared or re-run: it is outside the window. */
export function windowStart(rule: RetentionRule, now: number): number {
  return now - rule.windowMs;
}

/** Whether a new run of an id born at `bornMs` is refused (its record may be collected somewhere). */
export function outsideWindow(rule: RetentionRule | null, bornMs: number | undefined, now: number): boolean {
  return rule !== null && bornMs !== undefined && bornMs > 0 && bornMs < windowStart(rule, now);
}

/** How far collection may go now: the new mark, never below the old one. */
export function nextCollectMark(rule: RetentionRule, now: number, previous: number): number {
  return Math.max(previous, now - rule.windowMs - rule.graceMs);
}

/**
 * Whether a node with mark `collectedUpTo` may have collected the record of an id born at `bornMs`
 * (unknown birth: as soon as it collected anything).
 */
export function mayBeCollected(collectedUpTo: number, bornMs: number | undefined): boolean {
  if (collectedUpTo <= 0) return false;
  return bornMs === undefined || bornMs <= 0 || bornMs < collectedUpTo;
}

/** The refusal every node gives, in one wording (clients and tests match on "outside the retention window"). */
export function outsideWindowMessage(txn: string, rule: RetentionRule | null, collectedUpTo: number): string {
  const window = rule ? `older than ${formatDuration(rule.windowMs)}` : 'older than the retention window';
  const mark = collectedUpTo > 0 ? new Date(collectedUpTo).toISOString() : 'nothing yet';
  return `txn ${txn} is outside the retention window (${window}; records collected up to ${mark}): its outcome is no longer kept, and it is not run again`;
}

/** 90000 -> "1m30s", 86400000 -> "24h". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  let s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s || (!h && !m) ? `${s}s` : ''}`;
}
