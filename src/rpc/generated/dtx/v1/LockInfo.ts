// Original file: dtx/v1/locks.proto

import type { Long } from '@grpc/proto-loader';

export interface LockInfo {
  'name'?: (string);
  'held'?: (boolean);
  'owner'?: (string);
  'fencingToken'?: (number | string | Long);
  'expiresInMs'?: (number);
  'waiters'?: (number);
  'lockDelayMs'?: (number);
  'lastToken'?: (number | string | Long);
}

export interface LockInfo__Output {
  'name': (string);
  'held': (boolean);
  'owner': (string);
  'fencingToken': (string);
  'expiresInMs': (number);
  'waiters': (number);
  'lockDelayMs': (number);
  'lastToken': (string);
}
