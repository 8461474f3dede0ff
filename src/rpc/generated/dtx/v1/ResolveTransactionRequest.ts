// Original file: dtx/v1/admin.proto


export interface ResolveTransactionRequest {
  'txnId'?: (string);
  'outcome'?: (string);
  'reason'?: (string);
  'heuristic'?: (boolean);
  'operator'?: (string);
}

export interface ResolveTransactionRequest__Output {
  'txnId': (string);
  'outcome': (string);
  'reason': (string);
  'heuristic': (boolean);
  'operator': (string);
}
