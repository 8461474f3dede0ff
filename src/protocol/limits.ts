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
