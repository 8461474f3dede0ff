// Original file: dtx/v1/types.proto

import type { Long } from '@grpc/proto-loader';

export interface Bound {
  'value'?: (number | string | Long);
}

export interface Bound__Output {
  'value': (string);
}
