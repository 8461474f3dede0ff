// Original file: dtx/v1/shards.proto


export interface HoldShardsRequest {
  'moveId'?: (string);
  'shards'?: (number)[];
  'ttlMs'?: (number);
  'drainTimeoutMs'?: (number);
}

export interface HoldShardsRequest__Output {
  'moveId': (string);
  'shards': (number)[];
  'ttlMs': (number);
  'drainTimeoutMs': (number);
}
