// Original file: dtx/v1/shards.proto

import type { Long } from '@grpc/proto-loader';

export interface ShardMoveMark {
  'moveId'?: (string);
  'shards'?: (number)[];
  'from'?: (string);
  'to'?: (string);
  'epoch'?: (number | string | Long);
}

export interface ShardMoveMark__Output {
  'moveId': (string);
  'shards': (number)[];
  'from': (string);
  'to': (string);
  'epoch': (string);
}
