// Original file: dtx/v1/locks.proto


export interface ReleaseRequest {
  'leaseId'?: (string);
}

export interface ReleaseRequest__Output {
  'leaseId': (string);
}
