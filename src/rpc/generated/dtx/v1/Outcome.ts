// Original file: dtx/v1/types.proto

export const Outcome = {
  OUTCOME_UNSPECIFIED: 'OUTCOME_UNSPECIFIED',
  COMMITTED: 'COMMITTED',
  ABORTED: 'ABORTED',
  PENDING: 'PENDING',
} as const;

export type Outcome =
  | 'OUTCOME_UNSPECIFIED'
  | 0
  | 'COMMITTED'
  | 1
  | 'ABORTED'
  | 2
  | 'PENDING'
  | 3

export type Outcome__Output = typeof Outcome[keyof typeof Outcome]
