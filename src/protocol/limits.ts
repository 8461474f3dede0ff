/** Hard limits on requests, so that no input can make a node unbounded. */
export const LIMITS = {
  maxOpsPerTxn: 1000,
  maxKeyBytes: 1024,
  maxValueBytes: 1 << 20,
  maxTxnIdBytes: 200,
  maxReadKeys: 1000,
  maxTimeoutMs: 120_000,
  minInt64: -(2n ** 63n),
  maxInt64: 2n ** 63n - 1n,
} as const;
