// Original file: dtx/v1/types.proto

export const Protocol = {
  PROTOCOL_UNSPECIFIED: 'PROTOCOL_UNSPECIFIED',
  TWO_PC: 'TWO_PC',
  THREE_PC: 'THREE_PC',
  NON_BLOCKING: 'NON_BLOCKING',
} as const;

export type Protocol =
  | 'PROTOCOL_UNSPECIFIED'
  | 0
  | 'TWO_PC'
  | 1
  | 'THREE_PC'
  | 2
  | 'NON_BLOCKING'
  | 3

export type Protocol__Output = typeof Protocol[keyof typeof Protocol]
