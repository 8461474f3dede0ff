// Original file: dtx/v1/shards.proto

import type { ShardMapMessage as _dtx_v1_ShardMapMessage, ShardMapMessage__Output as _dtx_v1_ShardMapMessage__Output } from '../../dtx/v1/ShardMapMessage.js';

export interface ReleaseShardsRequest {
  'moveId'?: (string);
  'map'?: (_dtx_v1_ShardMapMessage | null);
}

export interface ReleaseShardsRequest__Output {
  'moveId': (string);
  'map': (_dtx_v1_ShardMapMessage__Output | null);
}
