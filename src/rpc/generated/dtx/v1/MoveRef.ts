// Original file: dtx/v1/shards.proto

import type { Long } from '@grpc/proto-loader';

export interface MoveRef {
  'moveId'?: (string);
  'moverToken'?: (number | string | Long);
}

export interface MoveRef__Output {
  'moveId': (string);
  'moverToken': (string);
}
