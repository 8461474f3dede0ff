// Original file: dtx/v1/admin.proto


export interface ListHeldLocksRequest {
  'prefix'?: (string);
  'limit'?: (number);
}

export interface ListHeldLocksRequest__Output {
  'prefix': (string);
  'limit': (number);
}
