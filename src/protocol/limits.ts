/** Hard limits on requests, so that no input can make a node unbounded. */
export const LIMITS = {
  maxOpsPerTxn: 1000,
  maxKeyBytes: 1024,
  maxValueBytes: 1 << 20,
  maxTxnIdBytes: 200,
  maxReadKeys: 1000,
  maxTimeoutMs: 120_000,
  /**
   * A transaction's keys and values together (16 MiB). Requests are received up to
   * maxMessageBytes, a little more, so that a transaction over this limit is refused by name.
   */
  maxTxnBytes: 16 << 20,
  maxMessageBytes: 17 << 20,
  minInt64: -(2n ** 63n),
  maxInt64: 2n ** 63n - 1n,
} as const;

/**
 * Finished transactions a coordinator or participant remembers in memory to answer a retry or a
 * duplicate without a read (older ones are read from the log). Each is a dozen live objects that
 * every full garbage collection marks: a full GC of a heap holding 100,000 of them took ~110 ms
 * on the 2-core dev machine against ~40 ms with 20,000 (node --expose-gc, 200k cached values as
 * well), and on two saturated cores such a pause stretched to 400 ms and stalled every transaction
 * through the node. 20,000 is 20 s of history at 1,000 transactions/s.
 */
export const RECENT_OUTCOMES = 20_000;

/**
 * The recent-outcome maps (coordinator and participant) keep at most this many op results (and
 * keys) per remembered outcome on average: a map of 20,000 outcomes then holds 80,000 results,
 * not up to 20,000,000 (1,000 ops each). Bulk loads of 1,000-op transactions kept a million
 * results alive in a coordinator's heap, and every major garbage collection walked them.
 */
export const RECENT_OPS_PER_OUTCOME = 4;
