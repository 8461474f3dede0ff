// Original file: dtx/v1/types.proto

import type { Bound as _dtx_v1_Bound, Bound__Output as _dtx_v1_Bound__Output } from '../../dtx/v1/Bound.js';
import type { Long } from '@grpc/proto-loader';

export interface AddOp {
  'delta'?: (number | string | Long);
  'min'?: (_dtx_v1_Bound | null);
  'max'?: (_dtx_v1_Bound | null);
}

export interface AddOp__Output {
  'delta': (string);
  'min': (_dtx_v1_Bound__Output | null);
  'max': (_dtx_v1_Bound__Output | null);
}
