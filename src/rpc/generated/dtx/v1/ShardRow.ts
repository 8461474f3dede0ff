// Original file: dtx/v1/shards.proto


export interface ShardRow {
  'key'?: (string);
  'value'?: (Buffer | Uint8Array | string);
  'deleted'?: (boolean);
}

export interface ShardRow__Output {
  'key': (string);
  'value': (Buffer);
  'deleted': (boolean);
}
