// Original file: dtx/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface ListAuditRequest {
  'sinceMs'?: (number | string | Long);
  'limit'?: (number);
}

export interface ListAuditRequest__Output {
  'sinceMs': (string);
  'limit': (number);
}
