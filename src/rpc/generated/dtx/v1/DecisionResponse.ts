// Original file: dtx/v1/participant.proto


export interface DecisionResponse {
  'txnId'?: (string);
  'known'?: (boolean);
  'ok'?: (boolean);
}

export interface DecisionResponse__Output {
  'txnId': (string);
  'known': (boolean);
  'ok': (boolean);
}
