// Original file: dtx/v1/admin.proto


export interface SetFailpointRequest {
  'name'?: (string);
  'action'?: (string);
}

export interface SetFailpointRequest__Output {
  'name': (string);
  'action': (string);
}
