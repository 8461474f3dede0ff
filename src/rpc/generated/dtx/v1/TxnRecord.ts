// Original file: dtx/v1/admin.proto


export interface TxnRecord {
  'kind'?: (string);
  'summary'?: (string);
}

export interface TxnRecord__Output {
  'kind': (string);
  'summary': (string);
}
