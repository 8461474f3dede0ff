// Original file: dtx/v1/participant.proto


export interface DecisionRequest {
  'txnId'?: (string);
}

export interface DecisionRequest__Output {
  'txnId': (string);
}
