// Original file: dtx/v1/participant.proto

import type { PrepareRequest as _dtx_v1_PrepareRequest, PrepareRequest__Output as _dtx_v1_PrepareRequest__Output } from '../../dtx/v1/PrepareRequest.js';
import type { DecisionItem as _dtx_v1_DecisionItem, DecisionItem__Output as _dtx_v1_DecisionItem__Output } from '../../dtx/v1/DecisionItem.js';

export interface CoordinatorBatch {
  'prepares'?: (_dtx_v1_PrepareRequest)[];
  'decisions'?: (_dtx_v1_DecisionItem)[];
}

export interface CoordinatorBatch__Output {
  'prepares': (_dtx_v1_PrepareRequest__Output)[];
  'decisions': (_dtx_v1_DecisionItem__Output)[];
}
