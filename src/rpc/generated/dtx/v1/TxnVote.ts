// Original file: dtx/v1/admin.proto


export interface TxnVote {
  'participant'?: (string);
  'vote'?: (string);
  'acked'?: (boolean);
}

export interface TxnVote__Output {
  'participant': (string);
  'vote': (string);
  'acked': (boolean);
}
