// Original file: dtx/v1/shards.proto

import type { Long } from '@grpc/proto-loader';

export interface ExportShardsRequest {
  'moveId'?: (string);
  'moverToken'?: (number | string | Long);
}

export interface ExportShardsRequest__Output {
  'moveId': (string);
  'moverToken': (string);
}
