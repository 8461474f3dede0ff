// Original file: dtx/v1/coordinator.proto


export interface GetTransactionRequest {
  'txnId'?: (string);
}

export interface GetTransactionRequest__Output {
  'txnId': (string);
}
