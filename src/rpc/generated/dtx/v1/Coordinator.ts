// Original file: dtx/v1/coordinator.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { GetTransactionRequest as _dtx_v1_GetTransactionRequest, GetTransactionRequest__Output as _dtx_v1_GetTransactionRequest__Output } from '../../dtx/v1/GetTransactionRequest.js';
import type { GetTransactionResponse as _dtx_v1_GetTransactionResponse, GetTransactionResponse__Output as _dtx_v1_GetTransactionResponse__Output } from '../../dtx/v1/GetTransactionResponse.js';
import type { ReadRequest as _dtx_v1_ReadRequest, ReadRequest__Output as _dtx_v1_ReadRequest__Output } from '../../dtx/v1/ReadRequest.js';
import type { ReadResponse as _dtx_v1_ReadResponse, ReadResponse__Output as _dtx_v1_ReadResponse__Output } from '../../dtx/v1/ReadResponse.js';
import type { TopologyRequest as _dtx_v1_TopologyRequest, TopologyRequest__Output as _dtx_v1_TopologyRequest__Output } from '../../dtx/v1/TopologyRequest.js';
import type { TopologyResponse as _dtx_v1_TopologyResponse, TopologyResponse__Output as _dtx_v1_TopologyResponse__Output } from '../../dtx/v1/TopologyResponse.js';
import type { TransactRequest as _dtx_v1_TransactRequest, TransactRequest__Output as _dtx_v1_TransactRequest__Output } from '../../dtx/v1/TransactRequest.js';
import type { TransactResponse as _dtx_v1_TransactResponse, TransactResponse__Output as _dtx_v1_TransactResponse__Output } from '../../dtx/v1/TransactResponse.js';

export interface CoordinatorClient extends grpc.Client {
  GetTransaction(argument: _dtx_v1_GetTransactionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_GetTransactionResponse__Output>): grpc.ClientUnaryCall;
  GetTransaction(argument: _dtx_v1_GetTransactionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_GetTransactionResponse__Output>): grpc.ClientUnaryCall;
  GetTransaction(argument: _dtx_v1_GetTransactionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_GetTransactionResponse__Output>): grpc.ClientUnaryCall;
  GetTransaction(argument: _dtx_v1_GetTransactionRequest, callback: grpc.requestCallback<_dtx_v1_GetTransactionResponse__Output>): grpc.ClientUnaryCall;
  getTransaction(argument: _dtx_v1_GetTransactionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_GetTransactionResponse__Output>): grpc.ClientUnaryCall;
  getTransaction(argument: _dtx_v1_GetTransactionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_GetTransactionResponse__Output>): grpc.ClientUnaryCall;
  getTransaction(argument: _dtx_v1_GetTransactionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_GetTransactionResponse__Output>): grpc.ClientUnaryCall;
  getTransaction(argument: _dtx_v1_GetTransactionRequest, callback: grpc.requestCallback<_dtx_v1_GetTransactionResponse__Output>): grpc.ClientUnaryCall;
  
  Read(argument: _dtx_v1_ReadRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ReadResponse__Output>): grpc.ClientUnaryCall;
  Read(argument: _dtx_v1_ReadRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_ReadResponse__Output>): grpc.ClientUnaryCall;
  Read(argument: _dtx_v1_ReadRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ReadResponse__Output>): grpc.ClientUnaryCall;
  Read(argument: _dtx_v1_ReadRequest, callback: grpc.requestCallback<_dtx_v1_ReadResponse__Output>): grpc.ClientUnaryCall;
  read(argument: _dtx_v1_ReadRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ReadResponse__Output>): grpc.ClientUnaryCall;
  read(argument: _dtx_v1_ReadRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_ReadResponse__Output>): grpc.ClientUnaryCall;
  read(argument: _dtx_v1_ReadRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ReadResponse__Output>): grpc.ClientUnaryCall;
  read(argument: _dtx_v1_ReadRequest, callback: grpc.requestCallback<_dtx_v1_ReadResponse__Output>): grpc.ClientUnaryCall;
  
  Topology(argument: _dtx_v1_TopologyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_TopologyResponse__Output>): grpc.ClientUnaryCall;
  Topology(argument: _dtx_v1_TopologyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_TopologyResponse__Output>): grpc.ClientUnaryCall;
  Topology(argument: _dtx_v1_TopologyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_TopologyResponse__Output>): grpc.ClientUnaryCall;
  Topology(argument: _dtx_v1_TopologyRequest, callback: grpc.requestCallback<_dtx_v1_TopologyResponse__Output>): grpc.ClientUnaryCall;
  topology(argument: _dtx_v1_TopologyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_TopologyResponse__Output>): grpc.ClientUnaryCall;
  topology(argument: _dtx_v1_TopologyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_TopologyResponse__Output>): grpc.ClientUnaryCall;
  topology(argument: _dtx_v1_TopologyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_TopologyResponse__Output>): grpc.ClientUnaryCall;
  topology(argument: _dtx_v1_TopologyRequest, callback: grpc.requestCallback<_dtx_v1_TopologyResponse__Output>): grpc.ClientUnaryCall;
  
  Transact(argument: _dtx_v1_TransactRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_TransactResponse__Output>): grpc.ClientUnaryCall;
  Transact(argument: _dtx_v1_TransactRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_TransactResponse__Output>): grpc.ClientUnaryCall;
  Transact(argument: _dtx_v1_TransactRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_TransactResponse__Output>): grpc.ClientUnaryCall;
  Transact(argument: _dtx_v1_TransactRequest, callback: grpc.requestCallback<_dtx_v1_TransactResponse__Output>): grpc.ClientUnaryCall;
  transact(argument: _dtx_v1_TransactRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_TransactResponse__Output>): grpc.ClientUnaryCall;
  transact(argument: _dtx_v1_TransactRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_TransactResponse__Output>): grpc.ClientUnaryCall;
  transact(argument: _dtx_v1_TransactRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_TransactResponse__Output>): grpc.ClientUnaryCall;
  transact(argument: _dtx_v1_TransactRequest, callback: grpc.requestCallback<_dtx_v1_TransactResponse__Output>): grpc.ClientUnaryCall;
  
  TransactStream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_dtx_v1_TransactRequest, _dtx_v1_TransactResponse__Output>;
  TransactStream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_dtx_v1_TransactRequest, _dtx_v1_TransactResponse__Output>;
  transactStream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_dtx_v1_TransactRequest, _dtx_v1_TransactResponse__Output>;
  transactStream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_dtx_v1_TransactRequest, _dtx_v1_TransactResponse__Output>;
  
}

export interface CoordinatorHandlers extends grpc.UntypedServiceImplementation {
  GetTransaction: grpc.handleUnaryCall<_dtx_v1_GetTransactionRequest__Output, _dtx_v1_GetTransactionResponse>;
  
  Read: grpc.handleUnaryCall<_dtx_v1_ReadRequest__Output, _dtx_v1_ReadResponse>;
  
  Topology: grpc.handleUnaryCall<_dtx_v1_TopologyRequest__Output, _dtx_v1_TopologyResponse>;
  
  Transact: grpc.handleUnaryCall<_dtx_v1_TransactRequest__Output, _dtx_v1_TransactResponse>;
  
  TransactStream: grpc.handleBidiStreamingCall<_dtx_v1_TransactRequest__Output, _dtx_v1_TransactResponse>;
  
}

export interface CoordinatorDefinition extends grpc.ServiceDefinition {
  GetTransaction: MethodDefinition<_dtx_v1_GetTransactionRequest, _dtx_v1_GetTransactionResponse, _dtx_v1_GetTransactionRequest__Output, _dtx_v1_GetTransactionResponse__Output>
  Read: MethodDefinition<_dtx_v1_ReadRequest, _dtx_v1_ReadResponse, _dtx_v1_ReadRequest__Output, _dtx_v1_ReadResponse__Output>
  Topology: MethodDefinition<_dtx_v1_TopologyRequest, _dtx_v1_TopologyResponse, _dtx_v1_TopologyRequest__Output, _dtx_v1_TopologyResponse__Output>
  Transact: MethodDefinition<_dtx_v1_TransactRequest, _dtx_v1_TransactResponse, _dtx_v1_TransactRequest__Output, _dtx_v1_TransactResponse__Output>
  TransactStream: MethodDefinition<_dtx_v1_TransactRequest, _dtx_v1_TransactResponse, _dtx_v1_TransactRequest__Output, _dtx_v1_TransactResponse__Output>
}
