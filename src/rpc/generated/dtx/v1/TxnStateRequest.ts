// Original file: dtx/v1/participant.proto


export interface TxnStateRequest {
  'txnId'?: (string);
}

export interface TxnStateRequest__Output {
  'txnId': (string);
}
