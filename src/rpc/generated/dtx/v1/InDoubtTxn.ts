// Original file: dtx/v1/admin.proto


export interface InDoubtTxn {
  'txnId'?: (string);
  'owner'?: (string);
}

export interface InDoubtTxn__Output {
  'txnId': (string);
  'owner': (string);
}
