// Original file: dtx/v1/shards.proto

import type { ShardMoveMark as _dtx_v1_ShardMoveMark, ShardMoveMark__Output as _dtx_v1_ShardMoveMark__Output } from '../../dtx/v1/ShardMoveMark.js';
import type { Long } from '@grpc/proto-loader';

export interface ExportShardsRequest {
  'moveId'?: (string);
  'moverToken'?: (number | string | Long);
  'precopy'?: (_dtx_v1_ShardMoveMark | null);
  'precopyShards'?: (number)[];
}

export interface ExportShardsRequest__Output {
  'moveId': (string);
  'moverToken': (string);
  'precopy': (_dtx_v1_ShardMoveMark__Output | null);
  'precopyShards': (number)[];
}
