// Original file: dtx/v1/coordinator.proto


export interface CoordinatorInfo {
  'id'?: (string);
  'address'?: (string);
}

export interface CoordinatorInfo__Output {
  'id': (string);
  'address': (string);
}
