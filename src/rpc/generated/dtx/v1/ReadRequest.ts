// Original file: dtx/v1/coordinator.proto


export interface ReadRequest {
  'keys'?: (string)[];
  'timeoutMs'?: (number);
}

export interface ReadRequest__Output {
  'keys': (string)[];
  'timeoutMs': (number);
}
