// Original file: dtx/v1/admin.proto


export interface LinkFault {
  'from'?: (string);
  'to'?: (string);
  'blocked'?: (boolean);
  'delayMs'?: (number);
  'jitterMs'?: (number);
  'dropRate'?: (number | string);
  'duplicateRate'?: (number | string);
}

export interface LinkFault__Output {
  'from': (string);
  'to': (string);
  'blocked': (boolean);
  'delayMs': (number);
  'jitterMs': (number);
  'dropRate': (number);
  'duplicateRate': (number);
}
