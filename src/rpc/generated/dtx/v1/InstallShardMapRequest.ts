// Original file: dtx/v1/shards.proto

import type { ShardMapMessage as _dtx_v1_ShardMapMessage, ShardMapMessage__Output as _dtx_v1_ShardMapMessage__Output } from '../../dtx/v1/ShardMapMessage.js';
import type { Long } from '@grpc/proto-loader';

export interface InstallShardMapRequest {
  'map'?: (_dtx_v1_ShardMapMessage | null);
  'moverToken'?: (number | string | Long);
}

export interface InstallShardMapRequest__Output {
  'map': (_dtx_v1_ShardMapMessage__Output | null);
  'moverToken': (string);
}
