// Original file: dtx/v1/types.proto

import type { Long } from '@grpc/proto-loader';

export interface CheckOp {
  'version'?: (number | string | Long);
  'value'?: (string);
  'exists'?: (boolean);
  'expect'?: "version"|"value"|"exists";
}

export interface CheckOp__Output {
  'version'?: (string);
  'value'?: (string);
  'exists'?: (boolean);
  'expect'?: "version"|"value"|"exists";
}
