// Original file: dtx/v1/locks.proto

import type { LockInfo as _dtx_v1_LockInfo, LockInfo__Output as _dtx_v1_LockInfo__Output } from '../../dtx/v1/LockInfo.js';

export interface ListLocksResponse {
  'locks'?: (_dtx_v1_LockInfo)[];
}

export interface ListLocksResponse__Output {
  'locks': (_dtx_v1_LockInfo__Output)[];
}
