// Original file: dtx/v1/admin.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { SetFailpointRequest as _dtx_v1_SetFailpointRequest, SetFailpointRequest__Output as _dtx_v1_SetFailpointRequest__Output } from '../../dtx/v1/SetFailpointRequest.js';
import type { SetFailpointResponse as _dtx_v1_SetFailpointResponse, SetFailpointResponse__Output as _dtx_v1_SetFailpointResponse__Output } from '../../dtx/v1/SetFailpointResponse.js';
import type { StatusRequest as _dtx_v1_StatusRequest, StatusRequest__Output as _dtx_v1_StatusRequest__Output } from '../../dtx/v1/StatusRequest.js';
import type { StatusResponse as _dtx_v1_StatusResponse, StatusResponse__Output as _dtx_v1_StatusResponse__Output } from '../../dtx/v1/StatusResponse.js';

export interface AdminClient extends grpc.Client {
  SetFailpoint(argument: _dtx_v1_SetFailpointRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_SetFailpointResponse__Output>): grpc.ClientUnaryCall;
  SetFailpoint(argument: _dtx_v1_SetFailpointRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_SetFailpointResponse__Output>): grpc.ClientUnaryCall;
  SetFailpoint(argument: _dtx_v1_SetFailpointRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_SetFailpointResponse__Output>): grpc.ClientUnaryCall;
  SetFailpoint(argument: _dtx_v1_SetFailpointRequest, callback: grpc.requestCallback<_dtx_v1_SetFailpointResponse__Output>): grpc.ClientUnaryCall;
  setFailpoint(argument: _dtx_v1_SetFailpointRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_SetFailpointResponse__Output>): grpc.ClientUnaryCall;
  setFailpoint(argument: _dtx_v1_SetFailpointRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_SetFailpointResponse__Output>): grpc.ClientUnaryCall;
  setFailpoint(argument: _dtx_v1_SetFailpointRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_SetFailpointResponse__Output>): grpc.ClientUnaryCall;
  setFailpoint(argument: _dtx_v1_SetFailpointRequest, callback: grpc.requestCallback<_dtx_v1_SetFailpointResponse__Output>): grpc.ClientUnaryCall;
  
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
  SetFailpoint: grpc.handleUnaryCall<_dtx_v1_SetFailpointRequest__Output, _dtx_v1_SetFailpointResponse>;
  
  Status: grpc.handleUnaryCall<_dtx_v1_StatusRequest__Output, _dtx_v1_StatusResponse>;
  
}

export interface AdminDefinition extends grpc.ServiceDefinition {
  SetFailpoint: MethodDefinition<_dtx_v1_SetFailpointRequest, _dtx_v1_SetFailpointResponse, _dtx_v1_SetFailpointRequest__Output, _dtx_v1_SetFailpointResponse__Output>
  Status: MethodDefinition<_dtx_v1_StatusRequest, _dtx_v1_StatusResponse, _dtx_v1_StatusRequest__Output, _dtx_v1_StatusResponse__Output>
}
