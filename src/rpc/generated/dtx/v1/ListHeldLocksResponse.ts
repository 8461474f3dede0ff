// Original file: dtx/v1/admin.proto

import type { HeldLock as _dtx_v1_HeldLock, HeldLock__Output as _dtx_v1_HeldLock__Output } from '../../dtx/v1/HeldLock.js';

export interface ListHeldLocksResponse {
  'locks'?: (_dtx_v1_HeldLock)[];
}

export interface ListHeldLocksResponse__Output {
  'locks': (_dtx_v1_HeldLock__Output)[];
}
