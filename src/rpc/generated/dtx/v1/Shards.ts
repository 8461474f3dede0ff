// Original file: dtx/v1/shards.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AddParticipantRequest as _dtx_v1_AddParticipantRequest, AddParticipantRequest__Output as _dtx_v1_AddParticipantRequest__Output } from '../../dtx/v1/AddParticipantRequest.js';
import type { HoldShardsRequest as _dtx_v1_HoldShardsRequest, HoldShardsRequest__Output as _dtx_v1_HoldShardsRequest__Output } from '../../dtx/v1/HoldShardsRequest.js';
import type { HoldShardsResponse as _dtx_v1_HoldShardsResponse, HoldShardsResponse__Output as _dtx_v1_HoldShardsResponse__Output } from '../../dtx/v1/HoldShardsResponse.js';
import type { ListShardsRequest as _dtx_v1_ListShardsRequest, ListShardsRequest__Output as _dtx_v1_ListShardsRequest__Output } from '../../dtx/v1/ListShardsRequest.js';
import type { MoveProgress as _dtx_v1_MoveProgress, MoveProgress__Output as _dtx_v1_MoveProgress__Output } from '../../dtx/v1/MoveProgress.js';
import type { MoveShardsRequest as _dtx_v1_MoveShardsRequest, MoveShardsRequest__Output as _dtx_v1_MoveShardsRequest__Output } from '../../dtx/v1/MoveShardsRequest.js';
import type { ReleaseShardsRequest as _dtx_v1_ReleaseShardsRequest, ReleaseShardsRequest__Output as _dtx_v1_ReleaseShardsRequest__Output } from '../../dtx/v1/ReleaseShardsRequest.js';
import type { ReleaseShardsResponse as _dtx_v1_ReleaseShardsResponse, ReleaseShardsResponse__Output as _dtx_v1_ReleaseShardsResponse__Output } from '../../dtx/v1/ReleaseShardsResponse.js';
import type { RemoveParticipantRequest as _dtx_v1_RemoveParticipantRequest, RemoveParticipantRequest__Output as _dtx_v1_RemoveParticipantRequest__Output } from '../../dtx/v1/RemoveParticipantRequest.js';
import type { ShardsOverview as _dtx_v1_ShardsOverview, ShardsOverview__Output as _dtx_v1_ShardsOverview__Output } from '../../dtx/v1/ShardsOverview.js';

export interface ShardsClient extends grpc.Client {
  AddParticipant(argument: _dtx_v1_AddParticipantRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_dtx_v1_MoveProgress__Output>;
  AddParticipant(argument: _dtx_v1_AddParticipantRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_dtx_v1_MoveProgress__Output>;
  addParticipant(argument: _dtx_v1_AddParticipantRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_dtx_v1_MoveProgress__Output>;
  addParticipant(argument: _dtx_v1_AddParticipantRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_dtx_v1_MoveProgress__Output>;
  
  Hold(argument: _dtx_v1_HoldShardsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_HoldShardsResponse__Output>): grpc.ClientUnaryCall;
  Hold(argument: _dtx_v1_HoldShardsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_HoldShardsResponse__Output>): grpc.ClientUnaryCall;
  Hold(argument: _dtx_v1_HoldShardsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_HoldShardsResponse__Output>): grpc.ClientUnaryCall;
  Hold(argument: _dtx_v1_HoldShardsRequest, callback: grpc.requestCallback<_dtx_v1_HoldShardsResponse__Output>): grpc.ClientUnaryCall;
  hold(argument: _dtx_v1_HoldShardsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_HoldShardsResponse__Output>): grpc.ClientUnaryCall;
  hold(argument: _dtx_v1_HoldShardsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_HoldShardsResponse__Output>): grpc.ClientUnaryCall;
  hold(argument: _dtx_v1_HoldShardsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_HoldShardsResponse__Output>): grpc.ClientUnaryCall;
  hold(argument: _dtx_v1_HoldShardsRequest, callback: grpc.requestCallback<_dtx_v1_HoldShardsResponse__Output>): grpc.ClientUnaryCall;
  
  List(argument: _dtx_v1_ListShardsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ShardsOverview__Output>): grpc.ClientUnaryCall;
  List(argument: _dtx_v1_ListShardsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_ShardsOverview__Output>): grpc.ClientUnaryCall;
  List(argument: _dtx_v1_ListShardsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ShardsOverview__Output>): grpc.ClientUnaryCall;
  List(argument: _dtx_v1_ListShardsRequest, callback: grpc.requestCallback<_dtx_v1_ShardsOverview__Output>): grpc.ClientUnaryCall;
  list(argument: _dtx_v1_ListShardsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ShardsOverview__Output>): grpc.ClientUnaryCall;
  list(argument: _dtx_v1_ListShardsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_ShardsOverview__Output>): grpc.ClientUnaryCall;
  list(argument: _dtx_v1_ListShardsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ShardsOverview__Output>): grpc.ClientUnaryCall;
  list(argument: _dtx_v1_ListShardsRequest, callback: grpc.requestCallback<_dtx_v1_ShardsOverview__Output>): grpc.ClientUnaryCall;
  
  Move(argument: _dtx_v1_MoveShardsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_dtx_v1_MoveProgress__Output>;
  Move(argument: _dtx_v1_MoveShardsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_dtx_v1_MoveProgress__Output>;
  move(argument: _dtx_v1_MoveShardsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_dtx_v1_MoveProgress__Output>;
  move(argument: _dtx_v1_MoveShardsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_dtx_v1_MoveProgress__Output>;
  
  Release(argument: _dtx_v1_ReleaseShardsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ReleaseShardsResponse__Output>): grpc.ClientUnaryCall;
  Release(argument: _dtx_v1_ReleaseShardsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_ReleaseShardsResponse__Output>): grpc.ClientUnaryCall;
  Release(argument: _dtx_v1_ReleaseShardsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ReleaseShardsResponse__Output>): grpc.ClientUnaryCall;
  Release(argument: _dtx_v1_ReleaseShardsRequest, callback: grpc.requestCallback<_dtx_v1_ReleaseShardsResponse__Output>): grpc.ClientUnaryCall;
  release(argument: _dtx_v1_ReleaseShardsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ReleaseShardsResponse__Output>): grpc.ClientUnaryCall;
  release(argument: _dtx_v1_ReleaseShardsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_ReleaseShardsResponse__Output>): grpc.ClientUnaryCall;
  release(argument: _dtx_v1_ReleaseShardsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ReleaseShardsResponse__Output>): grpc.ClientUnaryCall;
  release(argument: _dtx_v1_ReleaseShardsRequest, callback: grpc.requestCallback<_dtx_v1_ReleaseShardsResponse__Output>): grpc.ClientUnaryCall;
  
  RemoveParticipant(argument: _dtx_v1_RemoveParticipantRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_dtx_v1_MoveProgress__Output>;
  RemoveParticipant(argument: _dtx_v1_RemoveParticipantRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_dtx_v1_MoveProgress__Output>;
  removeParticipant(argument: _dtx_v1_RemoveParticipantRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_dtx_v1_MoveProgress__Output>;
  removeParticipant(argument: _dtx_v1_RemoveParticipantRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_dtx_v1_MoveProgress__Output>;
  
}

export interface ShardsHandlers extends grpc.UntypedServiceImplementation {
  AddParticipant: grpc.handleServerStreamingCall<_dtx_v1_AddParticipantRequest__Output, _dtx_v1_MoveProgress>;
  
  Hold: grpc.handleUnaryCall<_dtx_v1_HoldShardsRequest__Output, _dtx_v1_HoldShardsResponse>;
  
  List: grpc.handleUnaryCall<_dtx_v1_ListShardsRequest__Output, _dtx_v1_ShardsOverview>;
  
  Move: grpc.handleServerStreamingCall<_dtx_v1_MoveShardsRequest__Output, _dtx_v1_MoveProgress>;
  
  Release: grpc.handleUnaryCall<_dtx_v1_ReleaseShardsRequest__Output, _dtx_v1_ReleaseShardsResponse>;
  
  RemoveParticipant: grpc.handleServerStreamingCall<_dtx_v1_RemoveParticipantRequest__Output, _dtx_v1_MoveProgress>;
  
}

export interface ShardsDefinition extends grpc.ServiceDefinition {
  AddParticipant: MethodDefinition<_dtx_v1_AddParticipantRequest, _dtx_v1_MoveProgress, _dtx_v1_AddParticipantRequest__Output, _dtx_v1_MoveProgress__Output>
  Hold: MethodDefinition<_dtx_v1_HoldShardsRequest, _dtx_v1_HoldShardsResponse, _dtx_v1_HoldShardsRequest__Output, _dtx_v1_HoldShardsResponse__Output>
  List: MethodDefinition<_dtx_v1_ListShardsRequest, _dtx_v1_ShardsOverview, _dtx_v1_ListShardsRequest__Output, _dtx_v1_ShardsOverview__Output>
  Move: MethodDefinition<_dtx_v1_MoveShardsRequest, _dtx_v1_MoveProgress, _dtx_v1_MoveShardsRequest__Output, _dtx_v1_MoveProgress__Output>
  Release: MethodDefinition<_dtx_v1_ReleaseShardsRequest, _dtx_v1_ReleaseShardsResponse, _dtx_v1_ReleaseShardsRequest__Output, _dtx_v1_ReleaseShardsResponse__Output>
  RemoveParticipant: MethodDefinition<_dtx_v1_RemoveParticipantRequest, _dtx_v1_MoveProgress, _dtx_v1_RemoveParticipantRequest__Output, _dtx_v1_MoveProgress__Output>
}
