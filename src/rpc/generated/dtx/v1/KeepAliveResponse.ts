// Original file: dtx/v1/locks.proto

import type { Long } from '@grpc/proto-loader';

export interface KeepAliveResponse {
  'leaseId'?: (string);
  'ttlMs'?: (number);
  'fencingToken'?: (number | string | Long);
  'fencingProof'?: (string);
}

export interface KeepAliveResponse__Output {
  'leaseId': (string);
  'ttlMs': (number);
  'fencingToken': (string);
  'fencingProof': (string);
}
