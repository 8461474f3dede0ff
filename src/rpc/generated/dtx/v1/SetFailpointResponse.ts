// Original file: dtx/v1/admin.proto


export interface SetFailpointResponse {
  'armed'?: (string)[];
}

export interface SetFailpointResponse__Output {
  'armed': (string)[];
}
