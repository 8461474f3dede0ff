// Original file: dtx/v1/locks.proto


export interface AcquireRequest {
  'name'?: (string);
  'owner'?: (string);
  'ttlMs'?: (number);
  'waitMs'?: (number);
}

export interface AcquireRequest__Output {
  'name': (string);
  'owner': (string);
  'ttlMs': (number);
  'waitMs': (number);
}
