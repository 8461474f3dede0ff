// Original file: dtx/v1/shards.proto

import type { ShardMoveMark as _dtx_v1_ShardMoveMark, ShardMoveMark__Output as _dtx_v1_ShardMoveMark__Output } from '../../dtx/v1/ShardMoveMark.js';
import type { ShardRow as _dtx_v1_ShardRow, ShardRow__Output as _dtx_v1_ShardRow__Output } from '../../dtx/v1/ShardRow.js';
import type { Long } from '@grpc/proto-loader';

export interface ImportShardsRequest {
  'move'?: (_dtx_v1_ShardMoveMark | null);
  'rows'?: (_dtx_v1_ShardRow)[];
  'moverToken'?: (number | string | Long);
}

export interface ImportShardsRequest__Output {
  'move': (_dtx_v1_ShardMoveMark__Output | null);
  'rows': (_dtx_v1_ShardRow__Output)[];
  'moverToken': (string);
}
