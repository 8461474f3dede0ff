// Original file: dtx/v1/participant.proto

import type { ParticipantTxnState as _dtx_v1_ParticipantTxnState, ParticipantTxnState__Output as _dtx_v1_ParticipantTxnState__Output } from '../../dtx/v1/ParticipantTxnState.js';
import type { Protocol as _dtx_v1_Protocol, Protocol__Output as _dtx_v1_Protocol__Output } from '../../dtx/v1/Protocol.js';
import type { OpResult as _dtx_v1_OpResult, OpResult__Output as _dtx_v1_OpResult__Output } from '../../dtx/v1/OpResult.js';

export interface TxnStateResponse {
  'txnId'?: (string);
  'state'?: (_dtx_v1_ParticipantTxnState);
  'protocol'?: (_dtx_v1_Protocol);
  'participants'?: (string)[];
  'results'?: (_dtx_v1_OpResult)[];
  'recovered'?: (boolean);
  'resultIndexes'?: (number)[];
  'resultOf'?: (number);
}

export interface TxnStateResponse__Output {
  'txnId': (string);
  'state': (_dtx_v1_ParticipantTxnState__Output);
  'protocol': (_dtx_v1_Protocol__Output);
  'participants': (string)[];
  'results': (_dtx_v1_OpResult__Output)[];
  'recovered': (boolean);
  'resultIndexes': (number)[];
  'resultOf': (number);
}
