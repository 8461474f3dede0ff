import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AddParticipantRequest as _dtx_v1_AddParticipantRequest, AddParticipantRequest__Output as _dtx_v1_AddParticipantRequest__Output } from './dtx/v1/AddParticipantRequest.js';
import type { ExportShardsRequest as _dtx_v1_ExportShardsRequest, ExportShardsRequest__Output as _dtx_v1_ExportShardsRequest__Output } from './dtx/v1/ExportShardsRequest.js';
import type { FreezeShardsRequest as _dtx_v1_FreezeShardsRequest, FreezeShardsRequest__Output as _dtx_v1_FreezeShardsRequest__Output } from './dtx/v1/FreezeShardsRequest.js';
import type { GetShardMapRequest as _dtx_v1_GetShardMapRequest, GetShardMapRequest__Output as _dtx_v1_GetShardMapRequest__Output } from './dtx/v1/GetShardMapRequest.js';
import type { HoldShardsRequest as _dtx_v1_HoldShardsRequest, HoldShardsRequest__Output as _dtx_v1_HoldShardsRequest__Output } from './dtx/v1/HoldShardsRequest.js';
import type { HoldShardsResponse as _dtx_v1_HoldShardsResponse, HoldShardsResponse__Output as _dtx_v1_HoldShardsResponse__Output } from './dtx/v1/HoldShardsResponse.js';
import type { ImportShardsRequest as _dtx_v1_ImportShardsRequest, ImportShardsRequest__Output as _dtx_v1_ImportShardsRequest__Output } from './dtx/v1/ImportShardsRequest.js';
import type { ImportShardsResponse as _dtx_v1_ImportShardsResponse, ImportShardsResponse__Output as _dtx_v1_ImportShardsResponse__Output } from './dtx/v1/ImportShardsResponse.js';
import type { InstallShardMapRequest as _dtx_v1_InstallShardMapRequest, InstallShardMapRequest__Output as _dtx_v1_InstallShardMapRequest__Output } from './dtx/v1/InstallShardMapRequest.js';
import type { ListShardsRequest as _dtx_v1_ListShardsRequest, ListShardsRequest__Output as _dtx_v1_ListShardsRequest__Output } from './dtx/v1/ListShardsRequest.js';
import type { MoveProgress as _dtx_v1_MoveProgress, MoveProgress__Output as _dtx_v1_MoveProgress__Output } from './dtx/v1/MoveProgress.js';
import type { MoveRef as _dtx_v1_MoveRef, MoveRef__Output as _dtx_v1_MoveRef__Output } from './dtx/v1/MoveRef.js';
import type { MoveShardsRequest as _dtx_v1_MoveShardsRequest, MoveShardsRequest__Output as _dtx_v1_MoveShardsRequest__Output } from './dtx/v1/MoveShardsRequest.js';
import type { ReleaseShardsRequest as _dtx_v1_ReleaseShardsRequest, ReleaseShardsRequest__Output as _dtx_v1_ReleaseShardsRequest__Output } from './dtx/v1/ReleaseShardsRequest.js';
import type { ReleaseShardsResponse as _dtx_v1_ReleaseShardsResponse, ReleaseShardsResponse__Output as _dtx_v1_ReleaseShardsResponse__Output } from './dtx/v1/ReleaseShardsResponse.js';
import type { RemoveParticipantRequest as _dtx_v1_RemoveParticipantRequest, RemoveParticipantRequest__Output as _dtx_v1_RemoveParticipantRequest__Output } from './dtx/v1/RemoveParticipantRequest.js';
import type { ShardChunk as _dtx_v1_ShardChunk, ShardChunk__Output as _dtx_v1_ShardChunk__Output } from './dtx/v1/ShardChunk.js';
import type { ShardHostClient as _dtx_v1_ShardHostClient, ShardHostDefinition as _dtx_v1_ShardHostDefinition } from './dtx/v1/ShardHost.js';
import type { ShardHostState as _dtx_v1_ShardHostState, ShardHostState__Output as _dtx_v1_ShardHostState__Output } from './dtx/v1/ShardHostState.js';
import type { ShardMapMessage as _dtx_v1_ShardMapMessage, ShardMapMessage__Output as _dtx_v1_ShardMapMessage__Output } from './dtx/v1/ShardMapMessage.js';
import type { ShardMember as _dtx_v1_ShardMember, ShardMember__Output as _dtx_v1_ShardMember__Output } from './dtx/v1/ShardMember.js';
import type { ShardMoveMark as _dtx_v1_ShardMoveMark, ShardMoveMark__Output as _dtx_v1_ShardMoveMark__Output } from './dtx/v1/ShardMoveMark.js';
import type { ShardRow as _dtx_v1_ShardRow, ShardRow__Output as _dtx_v1_ShardRow__Output } from './dtx/v1/ShardRow.js';
import type { ShardsClient as _dtx_v1_ShardsClient, ShardsDefinition as _dtx_v1_ShardsDefinition } from './dtx/v1/Shards.js';
import type { ShardsOverview as _dtx_v1_ShardsOverview, ShardsOverview__Output as _dtx_v1_ShardsOverview__Output } from './dtx/v1/ShardsOverview.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  dtx: {
    v1: {
      AddParticipantRequest: MessageTypeDefinition<_dtx_v1_AddParticipantRequest, _dtx_v1_AddParticipantRequest__Output>
      ExportShardsRequest: MessageTypeDefinition<_dtx_v1_ExportShardsRequest, _dtx_v1_ExportShardsRequest__Output>
      FreezeShardsRequest: MessageTypeDefinition<_dtx_v1_FreezeShardsRequest, _dtx_v1_FreezeShardsRequest__Output>
      GetShardMapRequest: MessageTypeDefinition<_dtx_v1_GetShardMapRequest, _dtx_v1_GetShardMapRequest__Output>
      HoldShardsRequest: MessageTypeDefinition<_dtx_v1_HoldShardsRequest, _dtx_v1_HoldShardsRequest__Output>
      HoldShardsResponse: MessageTypeDefinition<_dtx_v1_HoldShardsResponse, _dtx_v1_HoldShardsResponse__Output>
      ImportShardsRequest: MessageTypeDefinition<_dtx_v1_ImportShardsRequest, _dtx_v1_ImportShardsRequest__Output>
      ImportShardsResponse: MessageTypeDefinition<_dtx_v1_ImportShardsResponse, _dtx_v1_ImportShardsResponse__Output>
      InstallShardMapRequest: MessageTypeDefinition<_dtx_v1_InstallShardMapRequest, _dtx_v1_InstallShardMapRequest__Output>
      ListShardsRequest: MessageTypeDefinition<_dtx_v1_ListShardsRequest, _dtx_v1_ListShardsRequest__Output>
      MoveProgress: MessageTypeDefinition<_dtx_v1_MoveProgress, _dtx_v1_MoveProgress__Output>
      MoveRef: MessageTypeDefinition<_dtx_v1_MoveRef, _dtx_v1_MoveRef__Output>
      MoveShardsRequest: MessageTypeDefinition<_dtx_v1_MoveShardsRequest, _dtx_v1_MoveShardsRequest__Output>
      ReleaseShardsRequest: MessageTypeDefinition<_dtx_v1_ReleaseShardsRequest, _dtx_v1_ReleaseShardsRequest__Output>
      ReleaseShardsResponse: MessageTypeDefinition<_dtx_v1_ReleaseShardsResponse, _dtx_v1_ReleaseShardsResponse__Output>
      RemoveParticipantRequest: MessageTypeDefinition<_dtx_v1_RemoveParticipantRequest, _dtx_v1_RemoveParticipantRequest__Output>
      ShardChunk: MessageTypeDefinition<_dtx_v1_ShardChunk, _dtx_v1_ShardChunk__Output>
      ShardHost: SubtypeConstructor<typeof grpc.Client, _dtx_v1_ShardHostClient> & { service: _dtx_v1_ShardHostDefinition }
      ShardHostState: MessageTypeDefinition<_dtx_v1_ShardHostState, _dtx_v1_ShardHostState__Output>
      ShardMapMessage: MessageTypeDefinition<_dtx_v1_ShardMapMessage, _dtx_v1_ShardMapMessage__Output>
      ShardMember: MessageTypeDefinition<_dtx_v1_ShardMember, _dtx_v1_ShardMember__Output>
      ShardMoveMark: MessageTypeDefinition<_dtx_v1_ShardMoveMark, _dtx_v1_ShardMoveMark__Output>
      ShardRow: MessageTypeDefinition<_dtx_v1_ShardRow, _dtx_v1_ShardRow__Output>
      Shards: SubtypeConstructor<typeof grpc.Client, _dtx_v1_ShardsClient> & { service: _dtx_v1_ShardsDefinition }
      ShardsOverview: MessageTypeDefinition<_dtx_v1_ShardsOverview, _dtx_v1_ShardsOverview__Output>
    }
  }
}

