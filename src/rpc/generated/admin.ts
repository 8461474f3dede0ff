import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AdminClient as _dtx_v1_AdminClient, AdminDefinition as _dtx_v1_AdminDefinition } from './dtx/v1/Admin.js';
import type { ClockOffset as _dtx_v1_ClockOffset, ClockOffset__Output as _dtx_v1_ClockOffset__Output } from './dtx/v1/ClockOffset.js';
import type { Counter as _dtx_v1_Counter, Counter__Output as _dtx_v1_Counter__Output } from './dtx/v1/Counter.js';
import type { InDoubtTxn as _dtx_v1_InDoubtTxn, InDoubtTxn__Output as _dtx_v1_InDoubtTxn__Output } from './dtx/v1/InDoubtTxn.js';
import type { LinkFault as _dtx_v1_LinkFault, LinkFault__Output as _dtx_v1_LinkFault__Output } from './dtx/v1/LinkFault.js';
import type { NetworkFaults as _dtx_v1_NetworkFaults, NetworkFaults__Output as _dtx_v1_NetworkFaults__Output } from './dtx/v1/NetworkFaults.js';
import type { Peer as _dtx_v1_Peer, Peer__Output as _dtx_v1_Peer__Output } from './dtx/v1/Peer.js';
import type { SetFailpointRequest as _dtx_v1_SetFailpointRequest, SetFailpointRequest__Output as _dtx_v1_SetFailpointRequest__Output } from './dtx/v1/SetFailpointRequest.js';
import type { SetFailpointResponse as _dtx_v1_SetFailpointResponse, SetFailpointResponse__Output as _dtx_v1_SetFailpointResponse__Output } from './dtx/v1/SetFailpointResponse.js';
import type { StatusRequest as _dtx_v1_StatusRequest, StatusRequest__Output as _dtx_v1_StatusRequest__Output } from './dtx/v1/StatusRequest.js';
import type { StatusResponse as _dtx_v1_StatusResponse, StatusResponse__Output as _dtx_v1_StatusResponse__Output } from './dtx/v1/StatusResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  dtx: {
    v1: {
      Admin: SubtypeConstructor<typeof grpc.Client, _dtx_v1_AdminClient> & { service: _dtx_v1_AdminDefinition }
      ClockOffset: MessageTypeDefinition<_dtx_v1_ClockOffset, _dtx_v1_ClockOffset__Output>
      Counter: MessageTypeDefinition<_dtx_v1_Counter, _dtx_v1_Counter__Output>
      InDoubtTxn: MessageTypeDefinition<_dtx_v1_InDoubtTxn, _dtx_v1_InDoubtTxn__Output>
      LinkFault: MessageTypeDefinition<_dtx_v1_LinkFault, _dtx_v1_LinkFault__Output>
      NetworkFaults: MessageTypeDefinition<_dtx_v1_NetworkFaults, _dtx_v1_NetworkFaults__Output>
      Peer: MessageTypeDefinition<_dtx_v1_Peer, _dtx_v1_Peer__Output>
      SetFailpointRequest: MessageTypeDefinition<_dtx_v1_SetFailpointRequest, _dtx_v1_SetFailpointRequest__Output>
      SetFailpointResponse: MessageTypeDefinition<_dtx_v1_SetFailpointResponse, _dtx_v1_SetFailpointResponse__Output>
      StatusRequest: MessageTypeDefinition<_dtx_v1_StatusRequest, _dtx_v1_StatusRequest__Output>
      StatusResponse: MessageTypeDefinition<_dtx_v1_StatusResponse, _dtx_v1_StatusResponse__Output>
    }
  }
}

