// Original file: dtx/v1/participant.proto


export interface TxnStateRequest {
  'txnId'?: (string);
  'abortIfUnvoted'?: (boolean);
}

export interface TxnStateRequest__Output {
  'txnId': (string);
  'abortIfUnvoted': (boolean);
}
