import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AcquireRequest as _dtx_v1_AcquireRequest, AcquireRequest__Output as _dtx_v1_AcquireRequest__Output } from './dtx/v1/AcquireRequest.js';
import type { DescribeLockRequest as _dtx_v1_DescribeLockRequest, DescribeLockRequest__Output as _dtx_v1_DescribeLockRequest__Output } from './dtx/v1/DescribeLockRequest.js';
import type { KeepAliveRequest as _dtx_v1_KeepAliveRequest, KeepAliveRequest__Output as _dtx_v1_KeepAliveRequest__Output } from './dtx/v1/KeepAliveRequest.js';
import type { KeepAliveResponse as _dtx_v1_KeepAliveResponse, KeepAliveResponse__Output as _dtx_v1_KeepAliveResponse__Output } from './dtx/v1/KeepAliveResponse.js';
import type { Lease as _dtx_v1_Lease, Lease__Output as _dtx_v1_Lease__Output } from './dtx/v1/Lease.js';
import type { ListLocksRequest as _dtx_v1_ListLocksRequest, ListLocksRequest__Output as _dtx_v1_ListLocksRequest__Output } from './dtx/v1/ListLocksRequest.js';
import type { ListLocksResponse as _dtx_v1_ListLocksResponse, ListLocksResponse__Output as _dtx_v1_ListLocksResponse__Output } from './dtx/v1/ListLocksResponse.js';
import type { LockInfo as _dtx_v1_LockInfo, LockInfo__Output as _dtx_v1_LockInfo__Output } from './dtx/v1/LockInfo.js';
import type { LocksClient as _dtx_v1_LocksClient, LocksDefinition as _dtx_v1_LocksDefinition } from './dtx/v1/Locks.js';
import type { ReleaseRequest as _dtx_v1_ReleaseRequest, ReleaseRequest__Output as _dtx_v1_ReleaseRequest__Output } from './dtx/v1/ReleaseRequest.js';
import type { ReleaseResponse as _dtx_v1_ReleaseResponse, ReleaseResponse__Output as _dtx_v1_ReleaseResponse__Output } from './dtx/v1/ReleaseResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  dtx: {
    v1: {
      AcquireRequest: MessageTypeDefinition<_dtx_v1_AcquireRequest, _dtx_v1_AcquireRequest__Output>
      DescribeLockRequest: MessageTypeDefinition<_dtx_v1_DescribeLockRequest, _dtx_v1_DescribeLockRequest__Output>
      KeepAliveRequest: MessageTypeDefinition<_dtx_v1_KeepAliveRequest, _dtx_v1_KeepAliveRequest__Output>
      KeepAliveResponse: MessageTypeDefinition<_dtx_v1_KeepAliveResponse, _dtx_v1_KeepAliveResponse__Output>
      Lease: MessageTypeDefinition<_dtx_v1_Lease, _dtx_v1_Lease__Output>
      ListLocksRequest: MessageTypeDefinition<_dtx_v1_ListLocksRequest, _dtx_v1_ListLocksRequest__Output>
      ListLocksResponse: MessageTypeDefinition<_dtx_v1_ListLocksResponse, _dtx_v1_ListLocksResponse__Output>
      LockInfo: MessageTypeDefinition<_dtx_v1_LockInfo, _dtx_v1_LockInfo__Output>
      Locks: SubtypeConstructor<typeof grpc.Client, _dtx_v1_LocksClient> & { service: _dtx_v1_LocksDefinition }
      ReleaseRequest: MessageTypeDefinition<_dtx_v1_ReleaseRequest, _dtx_v1_ReleaseRequest__Output>
      ReleaseResponse: MessageTypeDefinition<_dtx_v1_ReleaseResponse, _dtx_v1_ReleaseResponse__Output>
    }
  }
}

