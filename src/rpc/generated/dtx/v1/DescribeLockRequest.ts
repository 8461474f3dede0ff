// Original file: dtx/v1/locks.proto


export interface DescribeLockRequest {
  'name'?: (string);
}

export interface DescribeLockRequest__Output {
  'name': (string);
}
