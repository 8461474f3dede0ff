// Original file: dtx/v1/shards.proto

import type { Long } from '@grpc/proto-loader';

export interface MoveProgress {
  'shardsTotal'?: (number);
  'shardsMoved'?: (number);
  'keysMoved'?: (number | string | Long);
  'epoch'?: (number | string | Long);
  'step'?: (string);
  'done'?: (boolean);
  'keysPerSecond'?: (number | string);
}

export interface MoveProgress__Output {
  'shardsTotal': (number);
  'shardsMoved': (number);
  'keysMoved': (string);
  'epoch': (string);
  'step': (string);
  'done': (boolean);
  'keysPerSecond': (number);
}
