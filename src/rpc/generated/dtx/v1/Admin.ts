// Original file: dtx/v1/admin.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ClockOffset as _dtx_v1_ClockOffset, ClockOffset__Output as _dtx_v1_ClockOffset__Output } from '../../dtx/v1/ClockOffset.js';
import type { InspectTransactionRequest as _dtx_v1_InspectTransactionRequest, InspectTransactionRequest__Output as _dtx_v1_InspectTransactionRequest__Output } from '../../dtx/v1/InspectTransactionRequest.js';
import type { ListAuditRequest as _dtx_v1_ListAuditRequest, ListAuditRequest__Output as _dtx_v1_ListAuditRequest__Output } from '../../dtx/v1/ListAuditRequest.js';
import type { ListAuditResponse as _dtx_v1_ListAuditResponse, ListAuditResponse__Output as _dtx_v1_ListAuditResponse__Output } from '../../dtx/v1/ListAuditResponse.js';
import type { ListHeldLocksRequest as _dtx_v1_ListHeldLocksRequest, ListHeldLocksRequest__Output as _dtx_v1_ListHeldLocksRequest__Output } from '../../dtx/v1/ListHeldLocksRequest.js';
import type { ListHeldLocksResponse as _dtx_v1_ListHeldLocksResponse, ListHeldLocksResponse__Output as _dtx_v1_ListHeldLocksResponse__Output } from '../../dtx/v1/ListHeldLocksResponse.js';
import type { ListTransactionsRequest as _dtx_v1_ListTransactionsRequest, ListTransactionsRequest__Output as _dtx_v1_ListTransactionsRequest__Output } from '../../dtx/v1/ListTransactionsRequest.js';
import type { ListTransactionsResponse as _dtx_v1_ListTransactionsResponse, ListTransactionsResponse__Output as _dtx_v1_ListTransactionsResponse__Output } from '../../dtx/v1/ListTransactionsResponse.js';
import type { NetworkFaults as _dtx_v1_NetworkFaults, NetworkFaults__Output as _dtx_v1_NetworkFaults__Output } from '../../dtx/v1/NetworkFaults.js';
import type { ResolveTransactionRequest as _dtx_v1_ResolveTransactionRequest, ResolveTransactionRequest__Output as _dtx_v1_ResolveTransactionRequest__Output } from '../../dtx/v1/ResolveTransactionRequest.js';
import type { ResolveTransactionResponse as _dtx_v1_ResolveTransactionResponse, ResolveTransactionResponse__Output as _dtx_v1_ResolveTransactionResponse__Output } from '../../dtx/v1/ResolveTransactionResponse.js';
import type { SetFailpointRequest as _dtx_v1_SetFailpointRequest, SetFailpointRequest__Output as _dtx_v1_SetFailpointRequest__Output } from '../../dtx/v1/SetFailpointRequest.js';
import type { SetFailpointResponse as _dtx_v1_SetFailpointResponse, SetFailpointResponse__Output as _dtx_v1_SetFailpointResponse__Output } from '../../dtx/v1/SetFailpointResponse.js';
import type { StatusRequest as _dtx_v1_StatusRequest, StatusRequest__Output as _dtx_v1_StatusRequest__Output } from '../../dtx/v1/StatusRequest.js';
import type { StatusResponse as _dtx_v1_StatusResponse, StatusResponse__Output as _dtx_v1_StatusResponse__Output } from '../../dtx/v1/StatusResponse.js';
import type { TransactionView as _dtx_v1_TransactionView, TransactionView__Output as _dtx_v1_TransactionView__Output } from '../../dtx/v1/TransactionView.js';

export interface AdminClient extends grpc.Client {
  InspectTransaction(argument: _dtx_v1_InspectTransactionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_TransactionView__Output>): grpc.ClientUnaryCall;
  InspectTransaction(argument: _dtx_v1_InspectTransactionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_TransactionView__Output>): grpc.ClientUnaryCall;
  InspectTransaction(argument: _dtx_v1_InspectTransactionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_TransactionView__Output>): grpc.ClientUnaryCall;
  InspectTransaction(argument: _dtx_v1_InspectTransactionRequest, callback: grpc.requestCallback<_dtx_v1_TransactionView__Output>): grpc.ClientUnaryCall;
  inspectTransaction(argument: _dtx_v1_InspectTransactionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_TransactionView__Output>): grpc.ClientUnaryCall;
  inspectTransaction(argument: _dtx_v1_InspectTransactionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_TransactionView__Output>): grpc.ClientUnaryCall;
  inspectTransaction(argument: _dtx_v1_InspectTransactionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_TransactionView__Output>): grpc.ClientUnaryCall;
  inspectTransaction(argument: _dtx_v1_InspectTransactionRequest, callback: grpc.requestCallback<_dtx_v1_TransactionView__Output>): grpc.ClientUnaryCall;
  
  ListAudit(argument: _dtx_v1_ListAuditRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  ListAudit(argument: _dtx_v1_ListAuditRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  ListAudit(argument: _dtx_v1_ListAuditRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  ListAudit(argument: _dtx_v1_ListAuditRequest, callback: grpc.requestCallback<_dtx_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  listAudit(argument: _dtx_v1_ListAuditRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  listAudit(argument: _dtx_v1_ListAuditRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  listAudit(argument: _dtx_v1_ListAuditRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  listAudit(argument: _dtx_v1_ListAuditRequest, callback: grpc.requestCallback<_dtx_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  
  ListLocks(argument: _dtx_v1_ListHeldLocksRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ListHeldLocksResponse__Output>): grpc.ClientUnaryCall;
  ListLocks(argument: _dtx_v1_ListHeldLocksRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_ListHeldLocksResponse__Output>): grpc.ClientUnaryCall;
  ListLocks(argument: _dtx_v1_ListHeldLocksRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ListHeldLocksResponse__Output>): grpc.ClientUnaryCall;
  ListLocks(argument: _dtx_v1_ListHeldLocksRequest, callback: grpc.requestCallback<_dtx_v1_ListHeldLocksResponse__Output>): grpc.ClientUnaryCall;
  listLocks(argument: _dtx_v1_ListHeldLocksRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ListHeldLocksResponse__Output>): grpc.ClientUnaryCall;
  listLocks(argument: _dtx_v1_ListHeldLocksRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_ListHeldLocksResponse__Output>): grpc.ClientUnaryCall;
  listLocks(argument: _dtx_v1_ListHeldLocksRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ListHeldLocksResponse__Output>): grpc.ClientUnaryCall;
  listLocks(argument: _dtx_v1_ListHeldLocksRequest, callback: grpc.requestCallback<_dtx_v1_ListHeldLocksResponse__Output>): grpc.ClientUnaryCall;
  
  ListTransactions(argument: _dtx_v1_ListTransactionsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ListTransactionsResponse__Output>): grpc.ClientUnaryCall;
  ListTransactions(argument: _dtx_v1_ListTransactionsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_ListTransactionsResponse__Output>): grpc.ClientUnaryCall;
  ListTransactions(argument: _dtx_v1_ListTransactionsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ListTransactionsResponse__Output>): grpc.ClientUnaryCall;
  ListTransactions(argument: _dtx_v1_ListTransactionsRequest, callback: grpc.requestCallback<_dtx_v1_ListTransactionsResponse__Output>): grpc.ClientUnaryCall;
  listTransactions(argument: _dtx_v1_ListTransactionsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ListTransactionsResponse__Output>): grpc.ClientUnaryCall;
  listTransactions(argument: _dtx_v1_ListTransactionsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_ListTransactionsResponse__Output>): grpc.ClientUnaryCall;
  listTransactions(argument: _dtx_v1_ListTransactionsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ListTransactionsResponse__Output>): grpc.ClientUnaryCall;
  listTransactions(argument: _dtx_v1_ListTransactionsRequest, callback: grpc.requestCallback<_dtx_v1_ListTransactionsResponse__Output>): grpc.ClientUnaryCall;
  
  ResolveTransaction(argument: _dtx_v1_ResolveTransactionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ResolveTransactionResponse__Output>): grpc.ClientUnaryCall;
  ResolveTransaction(argument: _dtx_v1_ResolveTransactionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_ResolveTransactionResponse__Output>): grpc.ClientUnaryCall;
  ResolveTransaction(argument: _dtx_v1_ResolveTransactionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ResolveTransactionResponse__Output>): grpc.ClientUnaryCall;
  ResolveTransaction(argument: _dtx_v1_ResolveTransactionRequest, callback: grpc.requestCallback<_dtx_v1_ResolveTransactionResponse__Output>): grpc.ClientUnaryCall;
  resolveTransaction(argument: _dtx_v1_ResolveTransactionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ResolveTransactionResponse__Output>): grpc.ClientUnaryCall;
  resolveTransaction(argument: _dtx_v1_ResolveTransactionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_ResolveTransactionResponse__Output>): grpc.ClientUnaryCall;
  resolveTransaction(argument: _dtx_v1_ResolveTransactionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ResolveTransactionResponse__Output>): grpc.ClientUnaryCall;
  resolveTransaction(argument: _dtx_v1_ResolveTransactionRequest, callback: grpc.requestCallback<_dtx_v1_ResolveTransactionResponse__Output>): grpc.ClientUnaryCall;
  
  SetClockOffset(argument: _dtx_v1_ClockOffset, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ClockOffset__Output>): grpc.ClientUnaryCall;
  SetClockOffset(argument: _dtx_v1_ClockOffset, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_ClockOffset__Output>): grpc.ClientUnaryCall;
  SetClockOffset(argument: _dtx_v1_ClockOffset, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ClockOffset__Output>): grpc.ClientUnaryCall;
  SetClockOffset(argument: _dtx_v1_ClockOffset, callback: grpc.requestCallback<_dtx_v1_ClockOffset__Output>): grpc.ClientUnaryCall;
  setClockOffset(argument: _dtx_v1_ClockOffset, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ClockOffset__Output>): grpc.ClientUnaryCall;
  setClockOffset(argument: _dtx_v1_ClockOffset, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_ClockOffset__Output>): grpc.ClientUnaryCall;
  setClockOffset(argument: _dtx_v1_ClockOffset, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ClockOffset__Output>): grpc.ClientUnaryCall;
  setClockOffset(argument: _dtx_v1_ClockOffset, callback: grpc.requestCallback<_dtx_v1_ClockOffset__Output>): grpc.ClientUnaryCall;
  
  SetFailpoint(argument: _dtx_v1_SetFailpointRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_SetFailpointResponse__Output>): grpc.ClientUnaryCall;
  SetFailpoint(argument: _dtx_v1_SetFailpointRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_SetFailpointResponse__Output>): grpc.ClientUnaryCall;
  SetFailpoint(argument: _dtx_v1_SetFailpointRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_SetFailpointResponse__Output>): grpc.ClientUnaryCall;
  SetFailpoint(argument: _dtx_v1_SetFailpointRequest, callback: grpc.requestCallback<_dtx_v1_SetFailpointResponse__Output>): grpc.ClientUnaryCall;
  setFailpoint(argument: _dtx_v1_SetFailpointRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_SetFailpointResponse__Output>): grpc.ClientUnaryCall;
  setFailpoint(argument: _dtx_v1_SetFailpointRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_SetFailpointResponse__Output>): grpc.ClientUnaryCall;
  setFailpoint(argument: _dtx_v1_SetFailpointRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_SetFailpointResponse__Output>): grpc.ClientUnaryCall;
  setFailpoint(argument: _dtx_v1_SetFailpointRequest, callback: grpc.requestCallback<_dtx_v1_SetFailpointResponse__Output>): grpc.ClientUnaryCall;
  
  SetNetworkFaults(argument: _dtx_v1_NetworkFaults, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_NetworkFaults__Output>): grpc.ClientUnaryCall;
  SetNetworkFaults(argument: _dtx_v1_NetworkFaults, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_NetworkFaults__Output>): grpc.ClientUnaryCall;
  SetNetworkFaults(argument: _dtx_v1_NetworkFaults, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_NetworkFaults__Output>): grpc.ClientUnaryCall;
  SetNetworkFaults(argument: _dtx_v1_NetworkFaults, callback: grpc.requestCallback<_dtx_v1_NetworkFaults__Output>): grpc.ClientUnaryCall;
  setNetworkFaults(argument: _dtx_v1_NetworkFaults, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_NetworkFaults__Output>): grpc.ClientUnaryCall;
  setNetworkFaults(argument: _dtx_v1_NetworkFaults, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_NetworkFaults__Output>): grpc.ClientUnaryCall;
  setNetworkFaults(argument: _dtx_v1_NetworkFaults, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_NetworkFaults__Output>): grpc.ClientUnaryCall;
  setNetworkFaults(argument: _dtx_v1_NetworkFaults, callback: grpc.requestCallback<_dtx_v1_NetworkFaults__Output>): grpc.ClientUnaryCall;
  
  Status(argument: _dtx_v1_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _dtx_v1_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _dtx_v1_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _dtx_v1_StatusRequest, callback: grpc.requestCallback<_dtx_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _dtx_v1_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _dtx_v1_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _dtx_v1_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _dtx_v1_StatusRequest, callback: grpc.requestCallback<_dtx_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface AdminHandlers extends grpc.UntypedServiceImplementation {
  InspectTransaction: grpc.handleUnaryCall<_dtx_v1_InspectTransactionRequest__Output, _dtx_v1_TransactionView>;
  
  ListAudit: grpc.handleUnaryCall<_dtx_v1_ListAuditRequest__Output, _dtx_v1_ListAuditResponse>;
  
  ListLocks: grpc.handleUnaryCall<_dtx_v1_ListHeldLocksRequest__Output, _dtx_v1_ListHeldLocksResponse>;
  
  ListTransactions: grpc.handleUnaryCall<_dtx_v1_ListTransactionsRequest__Output, _dtx_v1_ListTransactionsResponse>;
  
  ResolveTransaction: grpc.handleUnaryCall<_dtx_v1_ResolveTransactionRequest__Output, _dtx_v1_ResolveTransactionResponse>;
  
  SetClockOffset: grpc.handleUnaryCall<_dtx_v1_ClockOffset__Output, _dtx_v1_ClockOffset>;
  
  SetFailpoint: grpc.handleUnaryCall<_dtx_v1_SetFailpointRequest__Output, _dtx_v1_SetFailpointResponse>;
  
  SetNetworkFaults: grpc.handleUnaryCall<_dtx_v1_NetworkFaults__Output, _dtx_v1_NetworkFaults>;
  
  Status: grpc.handleUnaryCall<_dtx_v1_StatusRequest__Output, _dtx_v1_StatusResponse>;
  
}

export interface AdminDefinition extends grpc.ServiceDefinition {
  InspectTransaction: MethodDefinition<_dtx_v1_InspectTransactionRequest, _dtx_v1_TransactionView, _dtx_v1_InspectTransactionRequest__Output, _dtx_v1_TransactionView__Output>
  ListAudit: MethodDefinition<_dtx_v1_ListAuditRequest, _dtx_v1_ListAuditResponse, _dtx_v1_ListAuditRequest__Output, _dtx_v1_ListAuditResponse__Output>
  ListLocks: MethodDefinition<_dtx_v1_ListHeldLocksRequest, _dtx_v1_ListHeldLocksResponse, _dtx_v1_ListHeldLocksRequest__Output, _dtx_v1_ListHeldLocksResponse__Output>
  ListTransactions: MethodDefinition<_dtx_v1_ListTransactionsRequest, _dtx_v1_ListTransactionsResponse, _dtx_v1_ListTransactionsRequest__Output, _dtx_v1_ListTransactionsResponse__Output>
  ResolveTransaction: MethodDefinition<_dtx_v1_ResolveTransactionRequest, _dtx_v1_ResolveTransactionResponse, _dtx_v1_ResolveTransactionRequest__Output, _dtx_v1_ResolveTransactionResponse__Output>
  SetClockOffset: MethodDefinition<_dtx_v1_ClockOffset, _dtx_v1_ClockOffset, _dtx_v1_ClockOffset__Output, _dtx_v1_ClockOffset__Output>
  SetFailpoint: MethodDefinition<_dtx_v1_SetFailpointRequest, _dtx_v1_SetFailpointResponse, _dtx_v1_SetFailpointRequest__Output, _dtx_v1_SetFailpointResponse__Output>
  SetNetworkFaults: MethodDefinition<_dtx_v1_NetworkFaults, _dtx_v1_NetworkFaults, _dtx_v1_NetworkFaults__Output, _dtx_v1_NetworkFaults__Output>
  Status: MethodDefinition<_dtx_v1_StatusRequest, _dtx_v1_StatusResponse, _dtx_v1_StatusRequest__Output, _dtx_v1_StatusResponse__Output>
}
