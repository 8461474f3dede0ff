// Original file: dtx/v1/shards.proto


export interface ShardMember {
  'id'?: (string);
  'address'?: (string);
}

export interface ShardMember__Output {
  'id': (string);
  'address': (string);
}
