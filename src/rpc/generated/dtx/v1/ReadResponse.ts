// Original file: dtx/v1/coordinator.proto

import type { OpResult as _dtx_v1_OpResult, OpResult__Output as _dtx_v1_OpResult__Output } from '../../dtx/v1/OpResult.js';

export interface ReadResponse {
  'txnId'?: (string);
  'results'?: (_dtx_v1_OpResult)[];
}

export interface ReadResponse__Output {
  'txnId': (string);
  'results': (_dtx_v1_OpResult__Output)[];
}
