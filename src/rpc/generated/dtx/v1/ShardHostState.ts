// Original file: dtx/v1/shards.proto

import type { ShardMapMessage as _dtx_v1_ShardMapMessage, ShardMapMessage__Output as _dtx_v1_ShardMapMessage__Output } from '../../dtx/v1/ShardMapMessage.js';
import type { ShardMoveMark as _dtx_v1_ShardMoveMark, ShardMoveMark__Output as _dtx_v1_ShardMoveMark__Output } from '../../dtx/v1/ShardMoveMark.js';

export interface ShardHostState {
  'nodeId'?: (string);
  'map'?: (_dtx_v1_ShardMapMessage | null);
  'frozen'?: (_dtx_v1_ShardMoveMark)[];
  'incoming'?: (_dtx_v1_ShardMoveMark)[];
  'inDoubt'?: (number);
  'inDoubtTxns'?: (string)[];
}

export interface ShardHostState__Output {
  'nodeId': (string);
  'map': (_dtx_v1_ShardMapMessage__Output | null);
  'frozen': (_dtx_v1_ShardMoveMark__Output)[];
  'incoming': (_dtx_v1_ShardMoveMark__Output)[];
  'inDoubt': (number);
  'inDoubtTxns': (string)[];
}
