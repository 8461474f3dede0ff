// Original file: dtx/v1/locks.proto

import type { Long } from '@grpc/proto-loader';

export interface Lease {
  'leaseId'?: (string);
  'fencingToken'?: (number | string | Long);
  'ttlMs'?: (number);
  'name'?: (string);
  'owner'?: (string);
  'fencingProof'?: (string);
}

export interface Lease__Output {
  'leaseId': (string);
  'fencingToken': (string);
  'ttlMs': (number);
  'name': (string);
  'owner': (string);
  'fencingProof': (string);
}
