// Original file: dtx/v1/participant.proto

import type { Vote as _dtx_v1_Vote, Vote__Output as _dtx_v1_Vote__Output } from '../../dtx/v1/Vote.js';
import type { AbortCode as _dtx_v1_AbortCode, AbortCode__Output as _dtx_v1_AbortCode__Output } from '../../dtx/v1/AbortCode.js';
import type { OpResult as _dtx_v1_OpResult, OpResult__Output as _dtx_v1_OpResult__Output } from '../../dtx/v1/OpResult.js';

export interface PrepareResponse {
  'txnId'?: (string);
  'vote'?: (_dtx_v1_Vote);
  'reason'?: (string);
  'abortCode'?: (_dtx_v1_AbortCode);
  'results'?: (_dtx_v1_OpResult)[];
}

export interface PrepareResponse__Output {
  'txnId': (string);
  'vote': (_dtx_v1_Vote__Output);
  'reason': (string);
  'abortCode': (_dtx_v1_AbortCode__Output);
  'results': (_dtx_v1_OpResult__Output)[];
}
