// Original file: dtx/v1/shards.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ExportShardsRequest as _dtx_v1_ExportShardsRequest, ExportShardsRequest__Output as _dtx_v1_ExportShardsRequest__Output } from '../../dtx/v1/ExportShardsRequest.js';
import type { FreezeShardsRequest as _dtx_v1_FreezeShardsRequest, FreezeShardsRequest__Output as _dtx_v1_FreezeShardsRequest__Output } from '../../dtx/v1/FreezeShardsRequest.js';
import type { GetShardMapRequest as _dtx_v1_GetShardMapRequest, GetShardMapRequest__Output as _dtx_v1_GetShardMapRequest__Output } from '../../dtx/v1/GetShardMapRequest.js';
import type { ImportShardsRequest as _dtx_v1_ImportShardsRequest, ImportShardsRequest__Output as _dtx_v1_ImportShardsRequest__Output } from '../../dtx/v1/ImportShardsRequest.js';
import type { ImportShardsResponse as _dtx_v1_ImportShardsResponse, ImportShardsResponse__Output as _dtx_v1_ImportShardsResponse__Output } from '../../dtx/v1/ImportShardsResponse.js';
import type { InstallShardMapRequest as _dtx_v1_InstallShardMapRequest, InstallShardMapRequest__Output as _dtx_v1_InstallShardMapRequest__Output } from '../../dtx/v1/InstallShardMapRequest.js';
import type { MoveRef as _dtx_v1_MoveRef, MoveRef__Output as _dtx_v1_MoveRef__Output } from '../../dtx/v1/MoveRef.js';
import type { ShardChunk as _dtx_v1_ShardChunk, ShardChunk__Output as _dtx_v1_ShardChunk__Output } from '../../dtx/v1/ShardChunk.js';
import type { ShardHostState as _dtx_v1_ShardHostState, ShardHostState__Output as _dtx_v1_ShardHostState__Output } from '../../dtx/v1/ShardHostState.js';

export interface ShardHostClient extends grpc.Client {
  DropIncoming(argument: _dtx_v1_MoveRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  DropIncoming(argument: _dtx_v1_MoveRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  DropIncoming(argument: _dtx_v1_MoveRef, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  DropIncoming(argument: _dtx_v1_MoveRef, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  dropIncoming(argument: _dtx_v1_MoveRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  dropIncoming(argument: _dtx_v1_MoveRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  dropIncoming(argument: _dtx_v1_MoveRef, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  dropIncoming(argument: _dtx_v1_MoveRef, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  
  Export(argument: _dtx_v1_ExportShardsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_dtx_v1_ShardChunk__Output>;
  Export(argument: _dtx_v1_ExportShardsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_dtx_v1_ShardChunk__Output>;
  export(argument: _dtx_v1_ExportShardsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_dtx_v1_ShardChunk__Output>;
  export(argument: _dtx_v1_ExportShardsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_dtx_v1_ShardChunk__Output>;
  
  Freeze(argument: _dtx_v1_FreezeShardsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  Freeze(argument: _dtx_v1_FreezeShardsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  Freeze(argument: _dtx_v1_FreezeShardsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  Freeze(argument: _dtx_v1_FreezeShardsRequest, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  freeze(argument: _dtx_v1_FreezeShardsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  freeze(argument: _dtx_v1_FreezeShardsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  freeze(argument: _dtx_v1_FreezeShardsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  freeze(argument: _dtx_v1_FreezeShardsRequest, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  
  GetMap(argument: _dtx_v1_GetShardMapRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  GetMap(argument: _dtx_v1_GetShardMapRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  GetMap(argument: _dtx_v1_GetShardMapRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  GetMap(argument: _dtx_v1_GetShardMapRequest, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  getMap(argument: _dtx_v1_GetShardMapRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  getMap(argument: _dtx_v1_GetShardMapRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  getMap(argument: _dtx_v1_GetShardMapRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  getMap(argument: _dtx_v1_GetShardMapRequest, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  
  Import(argument: _dtx_v1_ImportShardsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ImportShardsResponse__Output>): grpc.ClientUnaryCall;
  Import(argument: _dtx_v1_ImportShardsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_ImportShardsResponse__Output>): grpc.ClientUnaryCall;
  Import(argument: _dtx_v1_ImportShardsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ImportShardsResponse__Output>): grpc.ClientUnaryCall;
  Import(argument: _dtx_v1_ImportShardsRequest, callback: grpc.requestCallback<_dtx_v1_ImportShardsResponse__Output>): grpc.ClientUnaryCall;
  import(argument: _dtx_v1_ImportShardsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ImportShardsResponse__Output>): grpc.ClientUnaryCall;
  import(argument: _dtx_v1_ImportShardsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_ImportShardsResponse__Output>): grpc.ClientUnaryCall;
  import(argument: _dtx_v1_ImportShardsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ImportShardsResponse__Output>): grpc.ClientUnaryCall;
  import(argument: _dtx_v1_ImportShardsRequest, callback: grpc.requestCallback<_dtx_v1_ImportShardsResponse__Output>): grpc.ClientUnaryCall;
  
  InstallMap(argument: _dtx_v1_InstallShardMapRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  InstallMap(argument: _dtx_v1_InstallShardMapRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  InstallMap(argument: _dtx_v1_InstallShardMapRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  InstallMap(argument: _dtx_v1_InstallShardMapRequest, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  installMap(argument: _dtx_v1_InstallShardMapRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  installMap(argument: _dtx_v1_InstallShardMapRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  installMap(argument: _dtx_v1_InstallShardMapRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  installMap(argument: _dtx_v1_InstallShardMapRequest, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  
  Unfreeze(argument: _dtx_v1_MoveRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  Unfreeze(argument: _dtx_v1_MoveRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  Unfreeze(argument: _dtx_v1_MoveRef, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  Unfreeze(argument: _dtx_v1_MoveRef, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  unfreeze(argument: _dtx_v1_MoveRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  unfreeze(argument: _dtx_v1_MoveRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  unfreeze(argument: _dtx_v1_MoveRef, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  unfreeze(argument: _dtx_v1_MoveRef, callback: grpc.requestCallback<_dtx_v1_ShardHostState__Output>): grpc.ClientUnaryCall;
  
}

export interface ShardHostHandlers extends grpc.UntypedServiceImplementation {
  DropIncoming: grpc.handleUnaryCall<_dtx_v1_MoveRef__Output, _dtx_v1_ShardHostState>;
  
  Export: grpc.handleServerStreamingCall<_dtx_v1_ExportShardsRequest__Output, _dtx_v1_ShardChunk>;
  
  Freeze: grpc.handleUnaryCall<_dtx_v1_FreezeShardsRequest__Output, _dtx_v1_ShardHostState>;
  
  GetMap: grpc.handleUnaryCall<_dtx_v1_GetShardMapRequest__Output, _dtx_v1_ShardHostState>;
  
  Import: grpc.handleUnaryCall<_dtx_v1_ImportShardsRequest__Output, _dtx_v1_ImportShardsResponse>;
  
  InstallMap: grpc.handleUnaryCall<_dtx_v1_InstallShardMapRequest__Output, _dtx_v1_ShardHostState>;
  
  Unfreeze: grpc.handleUnaryCall<_dtx_v1_MoveRef__Output, _dtx_v1_ShardHostState>;
  
}

export interface ShardHostDefinition extends grpc.ServiceDefinition {
  DropIncoming: MethodDefinition<_dtx_v1_MoveRef, _dtx_v1_ShardHostState, _dtx_v1_MoveRef__Output, _dtx_v1_ShardHostState__Output>
  Export: MethodDefinition<_dtx_v1_ExportShardsRequest, _dtx_v1_ShardChunk, _dtx_v1_ExportShardsRequest__Output, _dtx_v1_ShardChunk__Output>
  Freeze: MethodDefinition<_dtx_v1_FreezeShardsRequest, _dtx_v1_ShardHostState, _dtx_v1_FreezeShardsRequest__Output, _dtx_v1_ShardHostState__Output>
  GetMap: MethodDefinition<_dtx_v1_GetShardMapRequest, _dtx_v1_ShardHostState, _dtx_v1_GetShardMapRequest__Output, _dtx_v1_ShardHostState__Output>
  Import: MethodDefinition<_dtx_v1_ImportShardsRequest, _dtx_v1_ImportShardsResponse, _dtx_v1_ImportShardsRequest__Output, _dtx_v1_ImportShardsResponse__Output>
  InstallMap: MethodDefinition<_dtx_v1_InstallShardMapRequest, _dtx_v1_ShardHostState, _dtx_v1_InstallShardMapRequest__Output, _dtx_v1_ShardHostState__Output>
  Unfreeze: MethodDefinition<_dtx_v1_MoveRef, _dtx_v1_ShardHostState, _dtx_v1_MoveRef__Output, _dtx_v1_ShardHostState__Output>
}
