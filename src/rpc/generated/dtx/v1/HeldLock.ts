// Original file: dtx/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface HeldLock {
  'name'?: (string);
  'owner'?: (string);
  'leaseId'?: (string);
  'fencingToken'?: (number | string | Long);
  'expiresInMs'?: (number | string | Long);
  'waiters'?: (number);
  'lockDelayMs'?: (number | string | Long);
}

export interface HeldLock__Output {
  'name': (string);
  'owner': (string);
  'leaseId': (string);
  'fencingToken': (string);
  'expiresInMs': (string);
  'waiters': (number);
  'lockDelayMs': (string);
}
