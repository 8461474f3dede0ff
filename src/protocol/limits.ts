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
 * The recent-outcome maps (coordinator and participant) keep at most this many op results (and
 * keys) per remembered outcome on average: a map of 100,000 outcomes then holds 400,000 results,
 * not up to 100,000,000 (1,000 ops each). Bulk loads of 1,000-op transactions kept a million
 * results alive in a coordinator's heap, and every major garbage collection walked them.
 */
export const RECENT_OPS_PER_OUTCOME = 4;
