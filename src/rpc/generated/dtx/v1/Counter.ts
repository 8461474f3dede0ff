// Original file: dtx/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface Counter {
  'name'?: (string);
  'value'?: (number | string | Long);
}

export interface Counter__Output {
  'name': (string);
  'value': (string);
}
