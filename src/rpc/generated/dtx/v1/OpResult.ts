// Original file: dtx/v1/types.proto

import type { Long } from '@grpc/proto-loader';

export interface OpResult {
  'key'?: (string);
  'found'?: (boolean);
  'value'?: (string);
  'version'?: (number | string | Long);
}

export interface OpResult__Output {
  'key': (string);
  'found': (boolean);
  'value': (string);
  'version': (string);
}
