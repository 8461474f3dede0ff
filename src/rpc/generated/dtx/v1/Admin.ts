// Original file: dtx/v1/admin.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ClockOffset as _dtx_v1_ClockOffset, ClockOffset__Output as _dtx_v1_ClockOffset__Output } from '../../dtx/v1/ClockOffset.js';
import type { NetworkFaults as _dtx_v1_NetworkFaults, NetworkFaults__Output as _dtx_v1_NetworkFaults__Output } from '../../dtx/v1/NetworkFaults.js';
import type { SetFailpointRequest as _dtx_v1_SetFailpointRequest, SetFailpointRequest__Output as _dtx_v1_SetFailpointRequest__Output } from '../../dtx/v1/SetFailpointRequest.js';
import type { SetFailpointResponse as _dtx_v1_SetFailpointResponse, SetFailpointResponse__Output as _dtx_v1_SetFailpointResponse__Output } from '../../dtx/v1/SetFailpointResponse.js';
import type { StatusRequest as _dtx_v1_StatusRequest, StatusRequest__Output as _dtx_v1_StatusRequest__Output } from '../../dtx/v1/StatusRequest.js';
import type { StatusResponse as _dtx_v1_StatusResponse, StatusResponse__Output as _dtx_v1_StatusResponse__Output } from '../../dtx/v1/StatusResponse.js';

export interface AdminClient extends grpc.Client {
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
  SetClockOffset: grpc.handleUnaryCall<_dtx_v1_ClockOffset__Output, _dtx_v1_ClockOffset>;
  
  SetFailpoint: grpc.handleUnaryCall<_dtx_v1_SetFailpointRequest__Output, _dtx_v1_SetFailpointResponse>;
  
  SetNetworkFaults: grpc.handleUnaryCall<_dtx_v1_NetworkFaults__Output, _dtx_v1_NetworkFaults>;
  
  Status: grpc.handleUnaryCall<_dtx_v1_StatusRequest__Output, _dtx_v1_StatusResponse>;
  
}

export interface AdminDefinition extends grpc.ServiceDefinition {
  SetClockOffset: MethodDefinition<_dtx_v1_ClockOffset, _dtx_v1_ClockOffset, _dtx_v1_ClockOffset__Output, _dtx_v1_ClockOffset__Output>
  SetFailpoint: MethodDefinition<_dtx_v1_SetFailpointRequest, _dtx_v1_SetFailpointResponse, _dtx_v1_SetFailpointRequest__Output, _dtx_v1_SetFailpointResponse__Output>
  SetNetworkFaults: MethodDefinition<_dtx_v1_NetworkFaults, _dtx_v1_NetworkFaults, _dtx_v1_NetworkFaults__Output, _dtx_v1_NetworkFaults__Output>
  Status: MethodDefinition<_dtx_v1_StatusRequest, _dtx_v1_StatusResponse, _dtx_v1_StatusRequest__Output, _dtx_v1_StatusResponse__Output>
}
