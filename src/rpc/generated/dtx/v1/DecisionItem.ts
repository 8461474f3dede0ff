// Original file: dtx/v1/participant.proto


export interface DecisionItem {
  'txnId'?: (string);
  'commit'?: (boolean);
  'releaseReadOnly'?: (boolean);
}

export interface DecisionItem__Output {
  'txnId': (string);
  'commit': (boolean);
  'releaseReadOnly': (boolean);
}
