// Original file: dtx/v1/shards.proto

import type { ShardMember as _dtx_v1_ShardMember, ShardMember__Output as _dtx_v1_ShardMember__Output } from '../../dtx/v1/ShardMember.js';
import type { Long } from '@grpc/proto-loader';

export interface ShardMapMessage {
  'epoch'?: (number | string | Long);
  'members'?: (_dtx_v1_ShardMember)[];
  'owners'?: (string)[];
}

export interface ShardMapMessage__Output {
  'epoch': (string);
  'members': (_dtx_v1_ShardMember__Output)[];
  'owners': (string)[];
}
