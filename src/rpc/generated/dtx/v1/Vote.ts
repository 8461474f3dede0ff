// Original file: dtx/v1/participant.proto

export const Vote = {
  VOTE_UNSPECIFIED: 'VOTE_UNSPECIFIED',
  YES: 'YES',
  NO: 'NO',
  READ_ONLY: 'READ_ONLY',
} as const;

export type Vote =
  | 'VOTE_UNSPECIFIED'
  | 0
  | 'YES'
  | 1
  | 'NO'
  | 2
  | 'READ_ONLY'
  | 3

export type Vote__Output = typeof Vote[keyof typeof Vote]
