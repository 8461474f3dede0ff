// Original file: dtx/v1/locks.proto


export interface ListLocksRequest {
  'prefix'?: (string);
  'limit'?: (number);
}

export interface ListLocksRequest__Output {
  'prefix': (string);
  'limit': (number);
}
