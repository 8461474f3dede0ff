// Original file: dtx/v1/participant.proto

export const ParticipantTxnState = {
  TXN_STATE_UNSPECIFIED: 'TXN_STATE_UNSPECIFIED',
  TXN_UNKNOWN: 'TXN_UNKNOWN',
  TXN_PREPARING: 'TXN_PREPARING',
  TXN_PREPARED: 'TXN_PREPARED',
  TXN_COMMITTED: 'TXN_COMMITTED',
  TXN_ABORTED: 'TXN_ABORTED',
  TXN_READ_ONLY: 'TXN_READ_ONLY',
  TXN_PRECOMMITTED: 'TXN_PRECOMMITTED',
  TXN_RETIRED: 'TXN_RETIRED',
} as const;

export type ParticipantTxnState =
  | 'TXN_STATE_UNSPECIFIED'
  | 0
  | 'TXN_UNKNOWN'
  | 1
  | 'TXN_PREPARING'
  | 2
  | 'TXN_PREPARED'
  | 3
  | 'TXN_COMMITTED'
  | 4
  | 'TXN_ABORTED'
  | 5
  | 'TXN_READ_ONLY'
  | 6
  | 'TXN_PRECOMMITTED'
  | 7
  | 'TXN_RETIRED'
  | 8

export type ParticipantTxnState__Output = typeof ParticipantTxnState[keyof typeof ParticipantTxnState]
