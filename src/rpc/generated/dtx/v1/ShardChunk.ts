// Original file: dtx/v1/shards.proto

import type { ShardRow as _dtx_v1_ShardRow, ShardRow__Output as _dtx_v1_ShardRow__Output } from '../../dtx/v1/ShardRow.js';

export interface ShardChunk {
  'rows'?: (_dtx_v1_ShardRow)[];
}

export interface ShardChunk__Output {
  'rows': (_dtx_v1_ShardRow__Output)[];
}
