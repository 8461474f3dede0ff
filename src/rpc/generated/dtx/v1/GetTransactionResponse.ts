// Original file: dtx/v1/coordinator.proto

import type { Outcome as _dtx_v1_Outcome, Outcome__Output as _dtx_v1_Outcome__Output } from '../../dtx/v1/Outcome.js';
import type { OpResult as _dtx_v1_OpResult, OpResult__Output as _dtx_v1_OpResult__Output } from '../../dtx/v1/OpResult.js';
import type { AbortCode as _dtx_v1_AbortCode, AbortCode__Output as _dtx_v1_AbortCode__Output } from '../../dtx/v1/AbortCode.js';

export interface GetTransactionResponse {
  'txnId'?: (string);
  'outcome'?: (_dtx_v1_Outcome);
  'reason'?: (string);
  'participants'?: (string)[];
  'results'?: (_dtx_v1_OpResult)[];
  'abortCode'?: (_dtx_v1_AbortCode);
  'inProgress'?: (boolean);
  'owner'?: (string);
}

export interface GetTransactionResponse__Output {
  'txnId': (string);
  'outcome': (_dtx_v1_Outcome__Output);
  'reason': (string);
  'participants': (string)[];
  'results': (_dtx_v1_OpResult__Output)[];
  'abortCode': (_dtx_v1_AbortCode__Output);
  'inProgress': (boolean);
  'owner': (string);
}
