// Original file: dtx/v1/participant.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CoordinatorBatch as _dtx_v1_CoordinatorBatch, CoordinatorBatch__Output as _dtx_v1_CoordinatorBatch__Output } from '../../dtx/v1/CoordinatorBatch.js';
import type { DecisionRequest as _dtx_v1_DecisionRequest, DecisionRequest__Output as _dtx_v1_DecisionRequest__Output } from '../../dtx/v1/DecisionRequest.js';
import type { DecisionResponse as _dtx_v1_DecisionResponse, DecisionResponse__Output as _dtx_v1_DecisionResponse__Output } from '../../dtx/v1/DecisionResponse.js';
import type { HorizonRequest as _dtx_v1_HorizonRequest, HorizonRequest__Output as _dtx_v1_HorizonRequest__Output } from '../../dtx/v1/HorizonRequest.js';
import type { HorizonResponse as _dtx_v1_HorizonResponse, HorizonResponse__Output as _dtx_v1_HorizonResponse__Output } from '../../dtx/v1/HorizonResponse.js';
import type { ParticipantBatch as _dtx_v1_ParticipantBatch, ParticipantBatch__Output as _dtx_v1_ParticipantBatch__Output } from '../../dtx/v1/ParticipantBatch.js';
import type { PrepareRequest as _dtx_v1_PrepareRequest, PrepareRequest__Output as _dtx_v1_PrepareRequest__Output } from '../../dtx/v1/PrepareRequest.js';
import type { PrepareResponse as _dtx_v1_PrepareResponse, PrepareResponse__Output as _dtx_v1_PrepareResponse__Output } from '../../dtx/v1/PrepareResponse.js';
import type { TxnStateRequest as _dtx_v1_TxnStateRequest, TxnStateRequest__Output as _dtx_v1_TxnStateRequest__Output } from '../../dtx/v1/TxnStateRequest.js';
import type { TxnStateResponse as _dtx_v1_TxnStateResponse, TxnStateResponse__Output as _dtx_v1_TxnStateResponse__Output } from '../../dtx/v1/TxnStateResponse.js';

export interface ParticipantClient extends grpc.Client {
  Abort(argument: _dtx_v1_DecisionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_DecisionResponse__Output>): grpc.ClientUnaryCall;
  Abort(argument: _dtx_v1_DecisionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_DecisionResponse__Output>): grpc.ClientUnaryCall;
  Abort(argument: _dtx_v1_DecisionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_DecisionResponse__Output>): grpc.ClientUnaryCall;
  Abort(argument: _dtx_v1_DecisionRequest, callback: grpc.requestCallback<_dtx_v1_DecisionResponse__Output>): grpc.ClientUnaryCall;
  abort(argument: _dtx_v1_DecisionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_DecisionResponse__Output>): grpc.ClientUnaryCall;
  abort(argument: _dtx_v1_DecisionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_DecisionResponse__Output>): grpc.ClientUnaryCall;
  abort(argument: _dtx_v1_DecisionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_DecisionResponse__Output>): grpc.ClientUnaryCall;
  abort(argument: _dtx_v1_DecisionRequest, callback: grpc.requestCallback<_dtx_v1_DecisionResponse__Output>): grpc.ClientUnaryCall;
  
  Commit(argument: _dtx_v1_DecisionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_DecisionResponse__Output>): grpc.ClientUnaryCall;
  Commit(argument: _dtx_v1_DecisionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_DecisionResponse__Output>): grpc.ClientUnaryCall;
  Commit(argument: _dtx_v1_DecisionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_DecisionResponse__Output>): grpc.ClientUnaryCall;
  Commit(argument: _dtx_v1_DecisionRequest, callback: grpc.requestCallback<_dtx_v1_DecisionResponse__Output>): grpc.ClientUnaryCall;
  commit(argument: _dtx_v1_DecisionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_DecisionResponse__Output>): grpc.ClientUnaryCall;
  commit(argument: _dtx_v1_DecisionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_DecisionResponse__Output>): grpc.ClientUnaryCall;
  commit(argument: _dtx_v1_DecisionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_DecisionResponse__Output>): grpc.ClientUnaryCall;
  commit(argument: _dtx_v1_DecisionRequest, callback: grpc.requestCallback<_dtx_v1_DecisionResponse__Output>): grpc.ClientUnaryCall;
  
  Exchange(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_dtx_v1_CoordinatorBatch, _dtx_v1_ParticipantBatch__Output>;
  Exchange(options?: grpc.CallOptions): grpc.ClientDuplexStream<_dtx_v1_CoordinatorBatch, _dtx_v1_ParticipantBatch__Output>;
  exchange(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_dtx_v1_CoordinatorBatch, _dtx_v1_ParticipantBatch__Output>;
  exchange(options?: grpc.CallOptions): grpc.ClientDuplexStream<_dtx_v1_CoordinatorBatch, _dtx_v1_ParticipantBatch__Output>;
  
  GetHorizon(argument: _dtx_v1_HorizonRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_HorizonResponse__Output>): grpc.ClientUnaryCall;
  GetHorizon(argument: _dtx_v1_HorizonRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_HorizonResponse__Output>): grpc.ClientUnaryCall;
  GetHorizon(argument: _dtx_v1_HorizonRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_HorizonResponse__Output>): grpc.ClientUnaryCall;
  GetHorizon(argument: _dtx_v1_HorizonRequest, callback: grpc.requestCallback<_dtx_v1_HorizonResponse__Output>): grpc.ClientUnaryCall;
  getHorizon(argument: _dtx_v1_HorizonRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_HorizonResponse__Output>): grpc.ClientUnaryCall;
  getHorizon(argument: _dtx_v1_HorizonRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_HorizonResponse__Output>): grpc.ClientUnaryCall;
  getHorizon(argument: _dtx_v1_HorizonRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_HorizonResponse__Output>): grpc.ClientUnaryCall;
  getHorizon(argument: _dtx_v1_HorizonRequest, callback: grpc.requestCallback<_dtx_v1_HorizonResponse__Output>): grpc.ClientUnaryCall;
  
  GetTxnState(argument: _dtx_v1_TxnStateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_TxnStateResponse__Output>): grpc.ClientUnaryCall;
  GetTxnState(argument: _dtx_v1_TxnStateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_TxnStateResponse__Output>): grpc.ClientUnaryCall;
  GetTxnState(argument: _dtx_v1_TxnStateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_TxnStateResponse__Output>): grpc.ClientUnaryCall;
  GetTxnState(argument: _dtx_v1_TxnStateRequest, callback: grpc.requestCallback<_dtx_v1_TxnStateResponse__Output>): grpc.ClientUnaryCall;
  getTxnState(argument: _dtx_v1_TxnStateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_TxnStateResponse__Output>): grpc.ClientUnaryCall;
  getTxnState(argument: _dtx_v1_TxnStateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_TxnStateResponse__Output>): grpc.ClientUnaryCall;
  getTxnState(argument: _dtx_v1_TxnStateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_TxnStateResponse__Output>): grpc.ClientUnaryCall;
  getTxnState(argument: _dtx_v1_TxnStateRequest, callback: grpc.requestCallback<_dtx_v1_TxnStateResponse__Output>): grpc.ClientUnaryCall;
  
  PreCommit(argument: _dtx_v1_DecisionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_DecisionResponse__Output>): grpc.ClientUnaryCall;
  PreCommit(argument: _dtx_v1_DecisionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_DecisionResponse__Output>): grpc.ClientUnaryCall;
  PreCommit(argument: _dtx_v1_DecisionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_DecisionResponse__Output>): grpc.ClientUnaryCall;
  PreCommit(argument: _dtx_v1_DecisionRequest, callback: grpc.requestCallback<_dtx_v1_DecisionResponse__Output>): grpc.ClientUnaryCall;
  preCommit(argument: _dtx_v1_DecisionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_DecisionResponse__Output>): grpc.ClientUnaryCall;
  preCommit(argument: _dtx_v1_DecisionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_DecisionResponse__Output>): grpc.ClientUnaryCall;
  preCommit(argument: _dtx_v1_DecisionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_DecisionResponse__Output>): grpc.ClientUnaryCall;
  preCommit(argument: _dtx_v1_DecisionRequest, callback: grpc.requestCallback<_dtx_v1_DecisionResponse__Output>): grpc.ClientUnaryCall;
  
  Prepare(argument: _dtx_v1_PrepareRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_PrepareResponse__Output>): grpc.ClientUnaryCall;
  Prepare(argument: _dtx_v1_PrepareRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_PrepareResponse__Output>): grpc.ClientUnaryCall;
  Prepare(argument: _dtx_v1_PrepareRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_PrepareResponse__Output>): grpc.ClientUnaryCall;
  Prepare(argument: _dtx_v1_PrepareRequest, callback: grpc.requestCallback<_dtx_v1_PrepareResponse__Output>): grpc.ClientUnaryCall;
  prepare(argument: _dtx_v1_PrepareRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_PrepareResponse__Output>): grpc.ClientUnaryCall;
  prepare(argument: _dtx_v1_PrepareRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_PrepareResponse__Output>): grpc.ClientUnaryCall;
  prepare(argument: _dtx_v1_PrepareRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_PrepareResponse__Output>): grpc.ClientUnaryCall;
  prepare(argument: _dtx_v1_PrepareRequest, callback: grpc.requestCallback<_dtx_v1_PrepareResponse__Output>): grpc.ClientUnaryCall;
  
  ReleaseReadOnly(argument: _dtx_v1_DecisionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_DecisionResponse__Output>): grpc.ClientUnaryCall;
  ReleaseReadOnly(argument: _dtx_v1_DecisionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_DecisionResponse__Output>): grpc.ClientUnaryCall;
  ReleaseReadOnly(argument: _dtx_v1_DecisionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_DecisionResponse__Output>): grpc.ClientUnaryCall;
  ReleaseReadOnly(argument: _dtx_v1_DecisionRequest, callback: grpc.requestCallback<_dtx_v1_DecisionResponse__Output>): grpc.ClientUnaryCall;
  releaseReadOnly(argument: _dtx_v1_DecisionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_DecisionResponse__Output>): grpc.ClientUnaryCall;
  releaseReadOnly(argument: _dtx_v1_DecisionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_DecisionResponse__Output>): grpc.ClientUnaryCall;
  releaseReadOnly(argument: _dtx_v1_DecisionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_DecisionResponse__Output>): grpc.ClientUnaryCall;
  releaseReadOnly(argument: _dtx_v1_DecisionRequest, callback: grpc.requestCallback<_dtx_v1_DecisionResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface ParticipantHandlers extends grpc.UntypedServiceImplementation {
  Abort: grpc.handleUnaryCall<_dtx_v1_DecisionRequest__Output, _dtx_v1_DecisionResponse>;
  
  Commit: grpc.handleUnaryCall<_dtx_v1_DecisionRequest__Output, _dtx_v1_DecisionResponse>;
  
  Exchange: grpc.handleBidiStreamingCall<_dtx_v1_CoordinatorBatch__Output, _dtx_v1_ParticipantBatch>;
  
  GetHorizon: grpc.handleUnaryCall<_dtx_v1_HorizonRequest__Output, _dtx_v1_HorizonResponse>;
  
  GetTxnState: grpc.handleUnaryCall<_dtx_v1_TxnStateRequest__Output, _dtx_v1_TxnStateResponse>;
  
  PreCommit: grpc.handleUnaryCall<_dtx_v1_DecisionRequest__Output, _dtx_v1_DecisionResponse>;
  
  Prepare: grpc.handleUnaryCall<_dtx_v1_PrepareRequest__Output, _dtx_v1_PrepareResponse>;
  
  ReleaseReadOnly: grpc.handleUnaryCall<_dtx_v1_DecisionRequest__Output, _dtx_v1_DecisionResponse>;
  
}

export interface ParticipantDefinition extends grpc.ServiceDefinition {
  Abort: MethodDefinition<_dtx_v1_DecisionRequest, _dtx_v1_DecisionResponse, _dtx_v1_DecisionRequest__Output, _dtx_v1_DecisionResponse__Output>
  Commit: MethodDefinition<_dtx_v1_DecisionRequest, _dtx_v1_DecisionResponse, _dtx_v1_DecisionRequest__Output, _dtx_v1_DecisionResponse__Output>
  Exchange: MethodDefinition<_dtx_v1_CoordinatorBatch, _dtx_v1_ParticipantBatch, _dtx_v1_CoordinatorBatch__Output, _dtx_v1_ParticipantBatch__Output>
  GetHorizon: MethodDefinition<_dtx_v1_HorizonRequest, _dtx_v1_HorizonResponse, _dtx_v1_HorizonRequest__Output, _dtx_v1_HorizonResponse__Output>
  GetTxnState: MethodDefinition<_dtx_v1_TxnStateRequest, _dtx_v1_TxnStateResponse, _dtx_v1_TxnStateRequest__Output, _dtx_v1_TxnStateResponse__Output>
  PreCommit: MethodDefinition<_dtx_v1_DecisionRequest, _dtx_v1_DecisionResponse, _dtx_v1_DecisionRequest__Output, _dtx_v1_DecisionResponse__Output>
  Prepare: MethodDefinition<_dtx_v1_PrepareRequest, _dtx_v1_PrepareResponse, _dtx_v1_PrepareRequest__Output, _dtx_v1_PrepareResponse__Output>
  ReleaseReadOnly: MethodDefinition<_dtx_v1_DecisionRequest, _dtx_v1_DecisionResponse, _dtx_v1_DecisionRequest__Output, _dtx_v1_DecisionResponse__Output>
}
