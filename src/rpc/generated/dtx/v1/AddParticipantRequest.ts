// Original file: dtx/v1/shards.proto


export interface AddParticipantRequest {
  'id'?: (string);
  'address'?: (string);
  'shardsPerStep'?: (number);
  'maxKeysPerSecond'?: (number);
  'fullSpeed'?: (boolean);
}

export interface AddParticipantRequest__Output {
  'id': (string);
  'address': (string);
  'shardsPerStep': (number);
  'maxKeysPerSecond': (number);
  'fullSpeed': (boolean);
}
