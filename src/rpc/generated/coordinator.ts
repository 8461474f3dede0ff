import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AddOp as _dtx_v1_AddOp, AddOp__Output as _dtx_v1_AddOp__Output } from './dtx/v1/AddOp.js';
import type { Bound as _dtx_v1_Bound, Bound__Output as _dtx_v1_Bound__Output } from './dtx/v1/Bound.js';
import type { CheckOp as _dtx_v1_CheckOp, CheckOp__Output as _dtx_v1_CheckOp__Output } from './dtx/v1/CheckOp.js';
import type { CoordinatorClient as _dtx_v1_CoordinatorClient, CoordinatorDefinition as _dtx_v1_CoordinatorDefinition } from './dtx/v1/Coordinator.js';
import type { CoordinatorInfo as _dtx_v1_CoordinatorInfo, CoordinatorInfo__Output as _dtx_v1_CoordinatorInfo__Output } from './dtx/v1/CoordinatorInfo.js';
import type { DeleteOp as _dtx_v1_DeleteOp, DeleteOp__Output as _dtx_v1_DeleteOp__Output } from './dtx/v1/DeleteOp.js';
import type { Fence as _dtx_v1_Fence, Fence__Output as _dtx_v1_Fence__Output } from './dtx/v1/Fence.js';
import type { GetOp as _dtx_v1_GetOp, GetOp__Output as _dtx_v1_GetOp__Output } from './dtx/v1/GetOp.js';
import type { GetTransactionRequest as _dtx_v1_GetTransactionRequest, GetTransactionRequest__Output as _dtx_v1_GetTransactionRequest__Output } from './dtx/v1/GetTransactionRequest.js';
import type { GetTransactionResponse as _dtx_v1_GetTransactionResponse, GetTransactionResponse__Output as _dtx_v1_GetTransactionResponse__Output } from './dtx/v1/GetTransactionResponse.js';
import type { Op as _dtx_v1_Op, Op__Output as _dtx_v1_Op__Output } from './dtx/v1/Op.js';
import type { OpResult as _dtx_v1_OpResult, OpResult__Output as _dtx_v1_OpResult__Output } from './dtx/v1/OpResult.js';
import type { PutOp as _dtx_v1_PutOp, PutOp__Output as _dtx_v1_PutOp__Output } from './dtx/v1/PutOp.js';
import type { ReadRequest as _dtx_v1_ReadRequest, ReadRequest__Output as _dtx_v1_ReadRequest__Output } from './dtx/v1/ReadRequest.js';
import type { ReadResponse as _dtx_v1_ReadResponse, ReadResponse__Output as _dtx_v1_ReadResponse__Output } from './dtx/v1/ReadResponse.js';
import type { TopologyRequest as _dtx_v1_TopologyRequest, TopologyRequest__Output as _dtx_v1_TopologyRequest__Output } from './dtx/v1/TopologyRequest.js';
import type { TopologyResponse as _dtx_v1_TopologyResponse, TopologyResponse__Output as _dtx_v1_TopologyResponse__Output } from './dtx/v1/TopologyResponse.js';
import type { TransactRequest as _dtx_v1_TransactRequest, TransactRequest__Output as _dtx_v1_TransactRequest__Output } from './dtx/v1/TransactRequest.js';
import type { TransactResponse as _dtx_v1_TransactResponse, TransactResponse__Output as _dtx_v1_TransactResponse__Output } from './dtx/v1/TransactResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  dtx: {
    v1: {
      AbortCode: EnumTypeDefinition
      AddOp: MessageTypeDefinition<_dtx_v1_AddOp, _dtx_v1_AddOp__Output>
      Bound: MessageTypeDefinition<_dtx_v1_Bound, _dtx_v1_Bound__Output>
      CheckOp: MessageTypeDefinition<_dtx_v1_CheckOp, _dtx_v1_CheckOp__Output>
      Coordinator: SubtypeConstructor<typeof grpc.Client, _dtx_v1_CoordinatorClient> & { service: _dtx_v1_CoordinatorDefinition }
      CoordinatorInfo: MessageTypeDefinition<_dtx_v1_CoordinatorInfo, _dtx_v1_CoordinatorInfo__Output>
      DeleteOp: MessageTypeDefinition<_dtx_v1_DeleteOp, _dtx_v1_DeleteOp__Output>
      Fence: MessageTypeDefinition<_dtx_v1_Fence, _dtx_v1_Fence__Output>
      GetOp: MessageTypeDefinition<_dtx_v1_GetOp, _dtx_v1_GetOp__Output>
      GetTransactionRequest: MessageTypeDefinition<_dtx_v1_GetTransactionRequest, _dtx_v1_GetTransactionRequest__Output>
      GetTransactionResponse: MessageTypeDefinition<_dtx_v1_GetTransactionResponse, _dtx_v1_GetTransactionResponse__Output>
      Op: MessageTypeDefinition<_dtx_v1_Op, _dtx_v1_Op__Output>
      OpResult: MessageTypeDefinition<_dtx_v1_OpResult, _dtx_v1_OpResult__Output>
      Outcome: EnumTypeDefinition
      Protocol: EnumTypeDefinition
      PutOp: MessageTypeDefinition<_dtx_v1_PutOp, _dtx_v1_PutOp__Output>
      ReadRequest: MessageTypeDefinition<_dtx_v1_ReadRequest, _dtx_v1_ReadRequest__Output>
      ReadResponse: MessageTypeDefinition<_dtx_v1_ReadResponse, _dtx_v1_ReadResponse__Output>
      TopologyRequest: MessageTypeDefinition<_dtx_v1_TopologyRequest, _dtx_v1_TopologyRequest__Output>
      TopologyResponse: MessageTypeDefinition<_dtx_v1_TopologyResponse, _dtx_v1_TopologyResponse__Output>
      TransactRequest: MessageTypeDefinition<_dtx_v1_TransactRequest, _dtx_v1_TransactRequest__Output>
      TransactResponse: MessageTypeDefinition<_dtx_v1_TransactResponse, _dtx_v1_TransactResponse__Output>
    }
  }
}

