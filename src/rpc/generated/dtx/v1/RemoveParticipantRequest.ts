// Original file: dtx/v1/shards.proto


export interface RemoveParticipantRequest {
  'id'?: (string);
  'shardsPerStep'?: (number);
  'maxKeysPerSecond'?: (number);
  'fullSpeed'?: (boolean);
}

export interface RemoveParticipantRequest__Output {
  'id': (string);
  'shardsPerStep': (number);
  'maxKeysPerSecond': (number);
  'fullSpeed': (boolean);
}
