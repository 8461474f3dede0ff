// Original file: dtx/v1/types.proto

import type { Long } from '@grpc/proto-loader';

export interface Fence {
  'lock'?: (string);
  'token'?: (number | string | Long);
  'proof'?: (string);
}

export interface Fence__Output {
  'lock': (string);
  'token': (string);
  'proof': (string);
}
