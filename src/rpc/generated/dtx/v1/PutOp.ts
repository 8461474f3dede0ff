// Original file: dtx/v1/types.proto


export interface PutOp {
  'value'?: (string);
}

export interface PutOp__Output {
  'value': (string);
}
