// Original file: dtx/v1/shards.proto


export interface ShardRow {
  'key'?: (string);
  'value'?: (Buffer | Uint8Array | string);
}

export interface ShardRow__Output {
  'key': (string);
  'value': (Buffer);
}
