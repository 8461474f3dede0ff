// Original file: dtx/v1/coordinator.proto

import type { Long } from '@grpc/proto-loader';

export interface GetTransactionRequest {
  'txnId'?: (string);
  'forwarded'?: (boolean);
  'firstAttemptMs'?: (number | string | Long);
}

export interface GetTransactionRequest__Output {
  'txnId': (string);
  'forwarded': (boolean);
  'firstAttemptMs': (string);
}
