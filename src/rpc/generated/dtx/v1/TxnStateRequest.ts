// Original file: dtx/v1/participant.proto

import type { Long } from '@grpc/proto-loader';

export interface TxnStateRequest {
  'txnId'?: (string);
  'abortIfUnvoted'?: (boolean);
  'bornMs'?: (number | string | Long);
}

export interface TxnStateRequest__Output {
  'txnId': (string);
  'abortIfUnvoted': (boolean);
  'bornMs': (string);
}
