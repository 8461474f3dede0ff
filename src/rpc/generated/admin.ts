import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AdminClient as _dtx_v1_AdminClient, AdminDefinition as _dtx_v1_AdminDefinition } from './dtx/v1/Admin.js';
import type { AuditEntry as _dtx_v1_AuditEntry, AuditEntry__Output as _dtx_v1_AuditEntry__Output } from './dtx/v1/AuditEntry.js';
import type { ClockOffset as _dtx_v1_ClockOffset, ClockOffset__Output as _dtx_v1_ClockOffset__Output } from './dtx/v1/ClockOffset.js';
import type { Counter as _dtx_v1_Counter, Counter__Output as _dtx_v1_Counter__Output } from './dtx/v1/Counter.js';
import type { HeldLock as _dtx_v1_HeldLock, HeldLock__Output as _dtx_v1_HeldLock__Output } from './dtx/v1/HeldLock.js';
import type { InDoubtTxn as _dtx_v1_InDoubtTxn, InDoubtTxn__Output as _dtx_v1_InDoubtTxn__Output } from './dtx/v1/InDoubtTxn.js';
import type { InspectTransactionRequest as _dtx_v1_InspectTransactionRequest, InspectTransactionRequest__Output as _dtx_v1_InspectTransactionRequest__Output } from './dtx/v1/InspectTransactionRequest.js';
import type { LinkFault as _dtx_v1_LinkFault, LinkFault__Output as _dtx_v1_LinkFault__Output } from './dtx/v1/LinkFault.js';
import type { ListAuditRequest as _dtx_v1_ListAuditRequest, ListAuditRequest__Output as _dtx_v1_ListAuditRequest__Output } from './dtx/v1/ListAuditRequest.js';
import type { ListAuditResponse as _dtx_v1_ListAuditResponse, ListAuditResponse__Output as _dtx_v1_ListAuditResponse__Output } from './dtx/v1/ListAuditResponse.js';
import type { ListHeldLocksRequest as _dtx_v1_ListHeldLocksRequest, ListHeldLocksRequest__Output as _dtx_v1_ListHeldLocksRequest__Output } from './dtx/v1/ListHeldLocksRequest.js';
import type { ListHeldLocksResponse as _dtx_v1_ListHeldLocksResponse, ListHeldLocksResponse__Output as _dtx_v1_ListHeldLocksResponse__Output } from './dtx/v1/ListHeldLocksResponse.js';
import type { ListTransactionsRequest as _dtx_v1_ListTransactionsRequest, ListTransactionsRequest__Output as _dtx_v1_ListTransactionsRequest__Output } from './dtx/v1/ListTransactionsRequest.js';
import type { ListTransactionsResponse as _dtx_v1_ListTransactionsResponse, ListTransactionsResponse__Output as _dtx_v1_ListTransactionsResponse__Output } from './dtx/v1/ListTransactionsResponse.js';
import type { NetworkFaults as _dtx_v1_NetworkFaults, NetworkFaults__Output as _dtx_v1_NetworkFaults__Output } from './dtx/v1/NetworkFaults.js';
import type { Peer as _dtx_v1_Peer, Peer__Output as _dtx_v1_Peer__Output } from './dtx/v1/Peer.js';
import type { ResolveTransactionRequest as _dtx_v1_ResolveTransactionRequest, ResolveTransactionRequest__Output as _dtx_v1_ResolveTransactionRequest__Output } from './dtx/v1/ResolveTransactionRequest.js';
import type { ResolveTransactionResponse as _dtx_v1_ResolveTransactionResponse, ResolveTransactionResponse__Output as _dtx_v1_ResolveTransactionResponse__Output } from './dtx/v1/ResolveTransactionResponse.js';
import type { SetFailpointRequest as _dtx_v1_SetFailpointRequest, SetFailpointRequest__Output as _dtx_v1_SetFailpointRequest__Output } from './dtx/v1/SetFailpointRequest.js';
import type { SetFailpointResponse as _dtx_v1_SetFailpointResponse, SetFailpointResponse__Output as _dtx_v1_SetFailpointResponse__Output } from './dtx/v1/SetFailpointResponse.js';
import type { StatusRequest as _dtx_v1_StatusRequest, StatusRequest__Output as _dtx_v1_StatusRequest__Output } from './dtx/v1/StatusRequest.js';
import type { StatusResponse as _dtx_v1_StatusResponse, StatusResponse__Output as _dtx_v1_StatusResponse__Output } from './dtx/v1/StatusResponse.js';
import type { TransactionView as _dtx_v1_TransactionView, TransactionView__Output as _dtx_v1_TransactionView__Output } from './dtx/v1/TransactionView.js';
import type { TxnRecord as _dtx_v1_TxnRecord, TxnRecord__Output as _dtx_v1_TxnRecord__Output } from './dtx/v1/TxnRecord.js';
import type { TxnVote as _dtx_v1_TxnVote, TxnVote__Output as _dtx_v1_TxnVote__Output } from './dtx/v1/TxnVote.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  dtx: {
    v1: {
      Admin: SubtypeConstructor<typeof grpc.Client, _dtx_v1_AdminClient> & { service: _dtx_v1_AdminDefinition }
      AuditEntry: MessageTypeDefinition<_dtx_v1_AuditEntry, _dtx_v1_AuditEntry__Output>
      ClockOffset: MessageTypeDefinition<_dtx_v1_ClockOffset, _dtx_v1_ClockOffset__Output>
      Counter: MessageTypeDefinition<_dtx_v1_Counter, _dtx_v1_Counter__Output>
      HeldLock: MessageTypeDefinition<_dtx_v1_HeldLock, _dtx_v1_HeldLock__Output>
      InDoubtTxn: MessageTypeDefinition<_dtx_v1_InDoubtTxn, _dtx_v1_InDoubtTxn__Output>
      InspectTransactionRequest: MessageTypeDefinition<_dtx_v1_InspectTransactionRequest, _dtx_v1_InspectTransactionRequest__Output>
      LinkFault: MessageTypeDefinition<_dtx_v1_LinkFault, _dtx_v1_LinkFault__Output>
      ListAuditRequest: MessageTypeDefinition<_dtx_v1_ListAuditRequest, _dtx_v1_ListAuditRequest__Output>
      ListAuditResponse: MessageTypeDefinition<_dtx_v1_ListAuditResponse, _dtx_v1_ListAuditResponse__Output>
      ListHeldLocksRequest: MessageTypeDefinition<_dtx_v1_ListHeldLocksRequest, _dtx_v1_ListHeldLocksRequest__Output>
      ListHeldLocksResponse: MessageTypeDefinition<_dtx_v1_ListHeldLocksResponse, _dtx_v1_ListHeldLocksResponse__Output>
      ListTransactionsRequest: MessageTypeDefinition<_dtx_v1_ListTransactionsRequest, _dtx_v1_ListTransactionsRequest__Output>
      ListTransactionsResponse: MessageTypeDefinition<_dtx_v1_ListTransactionsResponse, _dtx_v1_ListTransactionsResponse__Output>
      NetworkFaults: MessageTypeDefinition<_dtx_v1_NetworkFaults, _dtx_v1_NetworkFaults__Output>
      Peer: MessageTypeDefinition<_dtx_v1_Peer, _dtx_v1_Peer__Output>
      ResolveTransactionRequest: MessageTypeDefinition<_dtx_v1_ResolveTransactionRequest, _dtx_v1_ResolveTransactionRequest__Output>
      ResolveTransactionResponse: MessageTypeDefinition<_dtx_v1_ResolveTransactionResponse, _dtx_v1_ResolveTransactionResponse__Output>
      SetFailpointRequest: MessageTypeDefinition<_dtx_v1_SetFailpointRequest, _dtx_v1_SetFailpointRequest__Output>
      SetFailpointResponse: MessageTypeDefinition<_dtx_v1_SetFailpointResponse, _dtx_v1_SetFailpointResponse__Output>
      StatusRequest: MessageTypeDefinition<_dtx_v1_StatusRequest, _dtx_v1_StatusRequest__Output>
      StatusResponse: MessageTypeDefinition<_dtx_v1_StatusResponse, _dtx_v1_StatusResponse__Output>
      TransactionView: MessageTypeDefinition<_dtx_v1_TransactionView, _dtx_v1_TransactionView__Output>
      TxnRecord: MessageTypeDefinition<_dtx_v1_TxnRecord, _dtx_v1_TxnRecord__Output>
      TxnVote: MessageTypeDefinition<_dtx_v1_TxnVote, _dtx_v1_TxnVote__Output>
    }
  }
}

