// Original file: dtx/v1/shards.proto

import type { ShardMoveMark as _dtx_v1_ShardMoveMark, ShardMoveMark__Output as _dtx_v1_ShardMoveMark__Output } from '../../dtx/v1/ShardMoveMark.js';
import type { Long } from '@grpc/proto-loader';

export interface FreezeShardsRequest {
  'move'?: (_dtx_v1_ShardMoveMark | null);
  'moverToken'?: (number | string | Long);
  'drainTimeoutMs'?: (number);
}

export interface FreezeShardsRequest__Output {
  'move': (_dtx_v1_ShardMoveMark__Output | null);
  'moverToken': (string);
  'drainTimeoutMs': (number);
}
