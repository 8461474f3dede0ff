// Original file: dtx/v1/shards.proto

import type { Long } from '@grpc/proto-loader';

export interface ImportShardsResponse {
  'rowsWritten'?: (number | string | Long);
}

export interface ImportShardsResponse__Output {
  'rowsWritten': (string);
}
