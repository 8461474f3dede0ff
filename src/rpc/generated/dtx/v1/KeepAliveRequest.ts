// Original file: dtx/v1/locks.proto


export interface KeepAliveRequest {
  'leaseId'?: (string);
}

export interface KeepAliveRequest__Output {
  'leaseId': (string);
}
