// Original file: dtx/v1/types.proto

import type { PutOp as _dtx_v1_PutOp, PutOp__Output as _dtx_v1_PutOp__Output } from '../../dtx/v1/PutOp.js';
import type { DeleteOp as _dtx_v1_DeleteOp, DeleteOp__Output as _dtx_v1_DeleteOp__Output } from '../../dtx/v1/DeleteOp.js';
import type { AddOp as _dtx_v1_AddOp, AddOp__Output as _dtx_v1_AddOp__Output } from '../../dtx/v1/AddOp.js';
import type { GetOp as _dtx_v1_GetOp, GetOp__Output as _dtx_v1_GetOp__Output } from '../../dtx/v1/GetOp.js';
import type { CheckOp as _dtx_v1_CheckOp, CheckOp__Output as _dtx_v1_CheckOp__Output } from '../../dtx/v1/CheckOp.js';
import type { Fence as _dtx_v1_Fence, Fence__Output as _dtx_v1_Fence__Output } from '../../dtx/v1/Fence.js';

export interface Op {
  'key'?: (string);
  'put'?: (_dtx_v1_PutOp | null);
  'delete'?: (_dtx_v1_DeleteOp | null);
  'add'?: (_dtx_v1_AddOp | null);
  'get'?: (_dtx_v1_GetOp | null);
  'check'?: (_dtx_v1_CheckOp | null);
  'fence'?: (_dtx_v1_Fence | null);
  'kind'?: "put"|"delete"|"add"|"get"|"check";
}

export interface Op__Output {
  'key': (string);
  'put'?: (_dtx_v1_PutOp__Output | null);
  'delete'?: (_dtx_v1_DeleteOp__Output | null);
  'add'?: (_dtx_v1_AddOp__Output | null);
  'get'?: (_dtx_v1_GetOp__Output | null);
  'check'?: (_dtx_v1_CheckOp__Output | null);
  'fence': (_dtx_v1_Fence__Output | null);
  'kind'?: "put"|"delete"|"add"|"get"|"check";
}
