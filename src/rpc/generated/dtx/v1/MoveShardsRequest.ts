// Original file: dtx/v1/shards.proto


export interface MoveShardsRequest {
  'shards'?: (number)[];
  'to'?: (string);
  'shardsPerStep'?: (number);
  'maxKeysPerSecond'?: (number);
  'fullSpeed'?: (boolean);
}

export interface MoveShardsRequest__Output {
  'shards': (number)[];
  'to': (string);
  'shardsPerStep': (number);
  'maxKeysPerSecond': (number);
  'fullSpeed': (boolean);
}
