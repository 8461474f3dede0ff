// Original file: dtx/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface ListTransactionsRequest {
  'state'?: (string);
  'olderThanMs'?: (number | string | Long);
  'limit'?: (number);
}

export interface ListTransactionsRequest__Output {
  'state': (string);
  'olderThanMs': (string);
  'limit': (number);
}
