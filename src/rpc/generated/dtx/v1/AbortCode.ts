// Original file: dtx/v1/types.proto

export const AbortCode = {
  ABORT_CODE_UNSPECIFIED: 'ABORT_CODE_UNSPECIFIED',
  CONFLICT: 'CONFLICT',
  PRECONDITION_FAILED: 'PRECONDITION_FAILED',
  UNAVAILABLE_PARTICIPANT: 'UNAVAILABLE_PARTICIPANT',
  TIMED_OUT: 'TIMED_OUT',
  PRESUMED: 'PRESUMED',
  WRONG_SHARD: 'WRONG_SHARD',
} as const;

export type AbortCode =
  | 'ABORT_CODE_UNSPECIFIED'
  | 0
  | 'CONFLICT'
  | 1
  | 'PRECONDITION_FAILED'
  | 2
  | 'UNAVAILABLE_PARTICIPANT'
  | 3
  | 'TIMED_OUT'
  | 4
  | 'PRESUMED'
  | 5
  | 'WRONG_SHARD'
  | 6

export type AbortCode__Output = typeof AbortCode[keyof typeof AbortCode]
