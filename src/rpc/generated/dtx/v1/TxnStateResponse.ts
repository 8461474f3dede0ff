// Original file: dtx/v1/participant.proto

import type { ParticipantTxnState as _dtx_v1_ParticipantTxnState, ParticipantTxnState__Output as _dtx_v1_ParticipantTxnState__Output } from '../../dtx/v1/ParticipantTxnState.js';

export interface TxnStateResponse {
  'txnId'?: (string);
  'state'?: (_dtx_v1_ParticipantTxnState);
}

export interface TxnStateResponse__Output {
  'txnId': (string);
  'state': (_dtx_v1_ParticipantTxnState__Output);
}
