// Original file: dtx/v1/admin.proto


export interface Peer {
  'id'?: (string);
  'address'?: (string);
  'role'?: (string);
}

export interface Peer__Output {
  'id': (string);
  'address': (string);
  'role': (string);
}
