// Original file: dtx/v1/coordinator.proto


export interface GetTransactionRequest {
  'txnId'?: (string);
  'forwarded'?: (boolean);
}

export interface GetTransactionRequest__Output {
  'txnId': (string);
  'forwarded': (boolean);
}
