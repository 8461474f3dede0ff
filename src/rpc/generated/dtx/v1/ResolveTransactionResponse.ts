// Original file: dtx/v1/admin.proto


export interface ResolveTransactionResponse {
  'txnId'?: (string);
  'outcome'?: (string);
  'heuristic'?: (boolean);
  'rule'?: (string);
}

export interface ResolveTransactionResponse__Output {
  'txnId': (string);
  'outcome': (string);
  'heuristic': (boolean);
  'rule': (string);
}
