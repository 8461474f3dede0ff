// Original file: dtx/v1/admin.proto


export interface InspectTransactionRequest {
  'txnId'?: (string);
}

export interface InspectTransactionRequest__Output {
  'txnId': (string);
}
