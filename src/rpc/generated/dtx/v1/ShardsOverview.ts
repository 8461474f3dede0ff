// Original file: dtx/v1/shards.proto

import type { ShardMapMessage as _dtx_v1_ShardMapMessage, ShardMapMessage__Output as _dtx_v1_ShardMapMessage__Output } from '../../dtx/v1/ShardMapMessage.js';
import type { ShardHostState as _dtx_v1_ShardHostState, ShardHostState__Output as _dtx_v1_ShardHostState__Output } from '../../dtx/v1/ShardHostState.js';

export interface ShardsOverview {
  'map'?: (_dtx_v1_ShardMapMessage | null);
  'hosts'?: (_dtx_v1_ShardHostState)[];
  'unreachable'?: (string)[];
}

export interface ShardsOverview__Output {
  'map': (_dtx_v1_ShardMapMessage__Output | null);
  'hosts': (_dtx_v1_ShardHostState__Output)[];
  'unreachable': (string)[];
}
