// Original file: dtx/v1/participant.proto

import type { PrepareResponse as _dtx_v1_PrepareResponse, PrepareResponse__Output as _dtx_v1_PrepareResponse__Output } from '../../dtx/v1/PrepareResponse.js';
import type { DecisionResponse as _dtx_v1_DecisionResponse, DecisionResponse__Output as _dtx_v1_DecisionResponse__Output } from '../../dtx/v1/DecisionResponse.js';

export interface ParticipantBatch {
  'votes'?: (_dtx_v1_PrepareResponse)[];
  'acks'?: (_dtx_v1_DecisionResponse)[];
}

export interface ParticipantBatch__Output {
  'votes': (_dtx_v1_PrepareResponse__Output)[];
  'acks': (_dtx_v1_DecisionResponse__Output)[];
}
