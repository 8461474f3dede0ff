import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AddOp as _dtx_v1_AddOp, AddOp__Output as _dtx_v1_AddOp__Output } from './dtx/v1/AddOp.js';
import type { Bound as _dtx_v1_Bound, Bound__Output as _dtx_v1_Bound__Output } from './dtx/v1/Bound.js';
import type { CheckOp as _dtx_v1_CheckOp, CheckOp__Output as _dtx_v1_CheckOp__Output } from './dtx/v1/CheckOp.js';
import type { CoordinatorBatch as _dtx_v1_CoordinatorBatch, CoordinatorBatch__Output as _dtx_v1_CoordinatorBatch__Output } from './dtx/v1/CoordinatorBatch.js';
import type { DecisionItem as _dtx_v1_DecisionItem, DecisionItem__Output as _dtx_v1_DecisionItem__Output } from './dtx/v1/DecisionItem.js';
import type { DecisionRequest as _dtx_v1_DecisionRequest, DecisionRequest__Output as _dtx_v1_DecisionRequest__Output } from './dtx/v1/DecisionRequest.js';
import type { DecisionResponse as _dtx_v1_DecisionResponse, DecisionResponse__Output as _dtx_v1_DecisionResponse__Output } from './dtx/v1/DecisionResponse.js';
import type { DeleteOp as _dtx_v1_DeleteOp, DeleteOp__Output as _dtx_v1_DeleteOp__Output } from './dtx/v1/DeleteOp.js';
import type { Fence as _dtx_v1_Fence, Fence__Output as _dtx_v1_Fence__Output } from './dtx/v1/Fence.js';
import type { GetOp as _dtx_v1_GetOp, GetOp__Output as _dtx_v1_GetOp__Output } from './dtx/v1/GetOp.js';
import type { HorizonRequest as _dtx_v1_HorizonRequest, HorizonRequest__Output as _dtx_v1_HorizonRequest__Output } from './dtx/v1/HorizonRequest.js';
import type { HorizonResponse as _dtx_v1_HorizonResponse, HorizonResponse__Output as _dtx_v1_HorizonResponse__Output } from './dtx/v1/HorizonResponse.js';
import type { Op as _dtx_v1_Op, Op__Output as _dtx_v1_Op__Output } from './dtx/v1/Op.js';
import type { OpResult as _dtx_v1_OpResult, OpResult__Output as _dtx_v1_OpResult__Output } from './dtx/v1/OpResult.js';
import type { ParticipantClient as _dtx_v1_ParticipantClient, ParticipantDefinition as _dtx_v1_ParticipantDefinition } from './dtx/v1/Participant.js';
import type { ParticipantBatch as _dtx_v1_ParticipantBatch, ParticipantBatch__Output as _dtx_v1_ParticipantBatch__Output } from './dtx/v1/ParticipantBatch.js';
import type { PrepareRequest as _dtx_v1_PrepareRequest, PrepareRequest__Output as _dtx_v1_PrepareRequest__Output } from './dtx/v1/PrepareRequest.js';
import type { PrepareResponse as _dtx_v1_PrepareResponse, PrepareResponse__Output as _dtx_v1_PrepareResponse__Output } from './dtx/v1/PrepareResponse.js';
import type { PutOp as _dtx_v1_PutOp, PutOp__Output as _dtx_v1_PutOp__Output } from './dtx/v1/PutOp.js';
import type { TxnStateRequest as _dtx_v1_TxnStateRequest, TxnStateRequest__Output as _dtx_v1_TxnStateRequest__Output } from './dtx/v1/TxnStateRequest.js';
import type { TxnStateResponse as _dtx_v1_TxnStateResponse, TxnStateResponse__Output as _dtx_v1_TxnStateResponse__Output } from './dtx/v1/TxnStateResponse.js';

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
      CoordinatorBatch: MessageTypeDefinition<_dtx_v1_CoordinatorBatch, _dtx_v1_CoordinatorBatch__Output>
      DecisionItem: MessageTypeDefinition<_dtx_v1_DecisionItem, _dtx_v1_DecisionItem__Output>
      DecisionRequest: MessageTypeDefinition<_dtx_v1_DecisionRequest, _dtx_v1_DecisionRequest__Output>
      DecisionResponse: MessageTypeDefinition<_dtx_v1_DecisionResponse, _dtx_v1_DecisionResponse__Output>
      DeleteOp: MessageTypeDefinition<_dtx_v1_DeleteOp, _dtx_v1_DeleteOp__Output>
      Fence: MessageTypeDefinition<_dtx_v1_Fence, _dtx_v1_Fence__Output>
      GetOp: MessageTypeDefinition<_dtx_v1_GetOp, _dtx_v1_GetOp__Output>
      HorizonRequest: MessageTypeDefinition<_dtx_v1_HorizonRequest, _dtx_v1_HorizonRequest__Output>
      HorizonResponse: MessageTypeDefinition<_dtx_v1_HorizonResponse, _dtx_v1_HorizonResponse__Output>
      Op: MessageTypeDefinition<_dtx_v1_Op, _dtx_v1_Op__Output>
      OpResult: MessageTypeDefinition<_dtx_v1_OpResult, _dtx_v1_OpResult__Output>
      Outcome: EnumTypeDefinition
      Participant: SubtypeConstructor<typeof grpc.Client, _dtx_v1_ParticipantClient> & { service: _dtx_v1_ParticipantDefinition }
      ParticipantBatch: MessageTypeDefinition<_dtx_v1_ParticipantBatch, _dtx_v1_ParticipantBatch__Output>
      ParticipantTxnState: EnumTypeDefinition
      PrepareRequest: MessageTypeDefinition<_dtx_v1_PrepareRequest, _dtx_v1_PrepareRequest__Output>
      PrepareResponse: MessageTypeDefinition<_dtx_v1_PrepareResponse, _dtx_v1_PrepareResponse__Output>
      Protocol: EnumTypeDefinition
      PutOp: MessageTypeDefinition<_dtx_v1_PutOp, _dtx_v1_PutOp__Output>
      TxnStateRequest: MessageTypeDefinition<_dtx_v1_TxnStateRequest, _dtx_v1_TxnStateRequest__Output>
      TxnStateResponse: MessageTypeDefinition<_dtx_v1_TxnStateResponse, _dtx_v1_TxnStateResponse__Output>
      Vote: EnumTypeDefinition
    }
  }
}

