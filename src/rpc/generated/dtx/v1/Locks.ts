// Original file: dtx/v1/locks.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AcquireRequest as _dtx_v1_AcquireRequest, AcquireRequest__Output as _dtx_v1_AcquireRequest__Output } from '../../dtx/v1/AcquireRequest.js';
import type { DescribeLockRequest as _dtx_v1_DescribeLockRequest, DescribeLockRequest__Output as _dtx_v1_DescribeLockRequest__Output } from '../../dtx/v1/DescribeLockRequest.js';
import type { KeepAliveRequest as _dtx_v1_KeepAliveRequest, KeepAliveRequest__Output as _dtx_v1_KeepAliveRequest__Output } from '../../dtx/v1/KeepAliveRequest.js';
import type { KeepAliveResponse as _dtx_v1_KeepAliveResponse, KeepAliveResponse__Output as _dtx_v1_KeepAliveResponse__Output } from '../../dtx/v1/KeepAliveResponse.js';
import type { Lease as _dtx_v1_Lease, Lease__Output as _dtx_v1_Lease__Output } from '../../dtx/v1/Lease.js';
import type { ListLocksRequest as _dtx_v1_ListLocksRequest, ListLocksRequest__Output as _dtx_v1_ListLocksRequest__Output } from '../../dtx/v1/ListLocksRequest.js';
import type { ListLocksResponse as _dtx_v1_ListLocksResponse, ListLocksResponse__Output as _dtx_v1_ListLocksResponse__Output } from '../../dtx/v1/ListLocksResponse.js';
import type { LockInfo as _dtx_v1_LockInfo, LockInfo__Output as _dtx_v1_LockInfo__Output } from '../../dtx/v1/LockInfo.js';
import type { ReleaseRequest as _dtx_v1_ReleaseRequest, ReleaseRequest__Output as _dtx_v1_ReleaseRequest__Output } from '../../dtx/v1/ReleaseRequest.js';
import type { ReleaseResponse as _dtx_v1_ReleaseResponse, ReleaseResponse__Output as _dtx_v1_ReleaseResponse__Output } from '../../dtx/v1/ReleaseResponse.js';

export interface LocksClient extends grpc.Client {
  Acquire(argument: _dtx_v1_AcquireRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_Lease__Output>): grpc.ClientUnaryCall;
  Acquire(argument: _dtx_v1_AcquireRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_Lease__Output>): grpc.ClientUnaryCall;
  Acquire(argument: _dtx_v1_AcquireRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_Lease__Output>): grpc.ClientUnaryCall;
  Acquire(argument: _dtx_v1_AcquireRequest, callback: grpc.requestCallback<_dtx_v1_Lease__Output>): grpc.ClientUnaryCall;
  acquire(argument: _dtx_v1_AcquireRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_Lease__Output>): grpc.ClientUnaryCall;
  acquire(argument: _dtx_v1_AcquireRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_Lease__Output>): grpc.ClientUnaryCall;
  acquire(argument: _dtx_v1_AcquireRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_Lease__Output>): grpc.ClientUnaryCall;
  acquire(argument: _dtx_v1_AcquireRequest, callback: grpc.requestCallback<_dtx_v1_Lease__Output>): grpc.ClientUnaryCall;
  
  Describe(argument: _dtx_v1_DescribeLockRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_LockInfo__Output>): grpc.ClientUnaryCall;
  Describe(argument: _dtx_v1_DescribeLockRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_LockInfo__Output>): grpc.ClientUnaryCall;
  Describe(argument: _dtx_v1_DescribeLockRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_LockInfo__Output>): grpc.ClientUnaryCall;
  Describe(argument: _dtx_v1_DescribeLockRequest, callback: grpc.requestCallback<_dtx_v1_LockInfo__Output>): grpc.ClientUnaryCall;
  describe(argument: _dtx_v1_DescribeLockRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_LockInfo__Output>): grpc.ClientUnaryCall;
  describe(argument: _dtx_v1_DescribeLockRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_LockInfo__Output>): grpc.ClientUnaryCall;
  describe(argument: _dtx_v1_DescribeLockRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_LockInfo__Output>): grpc.ClientUnaryCall;
  describe(argument: _dtx_v1_DescribeLockRequest, callback: grpc.requestCallback<_dtx_v1_LockInfo__Output>): grpc.ClientUnaryCall;
  
  KeepAlive(argument: _dtx_v1_KeepAliveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_KeepAliveResponse__Output>): grpc.ClientUnaryCall;
  KeepAlive(argument: _dtx_v1_KeepAliveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_KeepAliveResponse__Output>): grpc.ClientUnaryCall;
  KeepAlive(argument: _dtx_v1_KeepAliveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_KeepAliveResponse__Output>): grpc.ClientUnaryCall;
  KeepAlive(argument: _dtx_v1_KeepAliveRequest, callback: grpc.requestCallback<_dtx_v1_KeepAliveResponse__Output>): grpc.ClientUnaryCall;
  keepAlive(argument: _dtx_v1_KeepAliveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_KeepAliveResponse__Output>): grpc.ClientUnaryCall;
  keepAlive(argument: _dtx_v1_KeepAliveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_KeepAliveResponse__Output>): grpc.ClientUnaryCall;
  keepAlive(argument: _dtx_v1_KeepAliveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_KeepAliveResponse__Output>): grpc.ClientUnaryCall;
  keepAlive(argument: _dtx_v1_KeepAliveRequest, callback: grpc.requestCallback<_dtx_v1_KeepAliveResponse__Output>): grpc.ClientUnaryCall;
  
  List(argument: _dtx_v1_ListLocksRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ListLocksResponse__Output>): grpc.ClientUnaryCall;
  List(argument: _dtx_v1_ListLocksRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_ListLocksResponse__Output>): grpc.ClientUnaryCall;
  List(argument: _dtx_v1_ListLocksRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ListLocksResponse__Output>): grpc.ClientUnaryCall;
  List(argument: _dtx_v1_ListLocksRequest, callback: grpc.requestCallback<_dtx_v1_ListLocksResponse__Output>): grpc.ClientUnaryCall;
  list(argument: _dtx_v1_ListLocksRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ListLocksResponse__Output>): grpc.ClientUnaryCall;
  list(argument: _dtx_v1_ListLocksRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_ListLocksResponse__Output>): grpc.ClientUnaryCall;
  list(argument: _dtx_v1_ListLocksRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ListLocksResponse__Output>): grpc.ClientUnaryCall;
  list(argument: _dtx_v1_ListLocksRequest, callback: grpc.requestCallback<_dtx_v1_ListLocksResponse__Output>): grpc.ClientUnaryCall;
  
  Release(argument: _dtx_v1_ReleaseRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ReleaseResponse__Output>): grpc.ClientUnaryCall;
  Release(argument: _dtx_v1_ReleaseRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_ReleaseResponse__Output>): grpc.ClientUnaryCall;
  Release(argument: _dtx_v1_ReleaseRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ReleaseResponse__Output>): grpc.ClientUnaryCall;
  Release(argument: _dtx_v1_ReleaseRequest, callback: grpc.requestCallback<_dtx_v1_ReleaseResponse__Output>): grpc.ClientUnaryCall;
  release(argument: _dtx_v1_ReleaseRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ReleaseResponse__Output>): grpc.ClientUnaryCall;
  release(argument: _dtx_v1_ReleaseRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_dtx_v1_ReleaseResponse__Output>): grpc.ClientUnaryCall;
  release(argument: _dtx_v1_ReleaseRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_dtx_v1_ReleaseResponse__Output>): grpc.ClientUnaryCall;
  release(argument: _dtx_v1_ReleaseRequest, callback: grpc.requestCallback<_dtx_v1_ReleaseResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface LocksHandlers extends grpc.UntypedServiceImplementation {
  Acquire: grpc.handleUnaryCall<_dtx_v1_AcquireRequest__Output, _dtx_v1_Lease>;
  
  Describe: grpc.handleUnaryCall<_dtx_v1_DescribeLockRequest__Output, _dtx_v1_LockInfo>;
  
  KeepAlive: grpc.handleUnaryCall<_dtx_v1_KeepAliveRequest__Output, _dtx_v1_KeepAliveResponse>;
  
  List: grpc.handleUnaryCall<_dtx_v1_ListLocksRequest__Output, _dtx_v1_ListLocksResponse>;
  
  Release: grpc.handleUnaryCall<_dtx_v1_ReleaseRequest__Output, _dtx_v1_ReleaseResponse>;
  
}

export interface LocksDefinition extends grpc.ServiceDefinition {
  Acquire: MethodDefinition<_dtx_v1_AcquireRequest, _dtx_v1_Lease, _dtx_v1_AcquireRequest__Output, _dtx_v1_Lease__Output>
  Describe: MethodDefinition<_dtx_v1_DescribeLockRequest, _dtx_v1_LockInfo, _dtx_v1_DescribeLockRequest__Output, _dtx_v1_LockInfo__Output>
  KeepAlive: MethodDefinition<_dtx_v1_KeepAliveRequest, _dtx_v1_KeepAliveResponse, _dtx_v1_KeepAliveRequest__Output, _dtx_v1_KeepAliveResponse__Output>
  List: MethodDefinition<_dtx_v1_ListLocksRequest, _dtx_v1_ListLocksResponse, _dtx_v1_ListLocksRequest__Output, _dtx_v1_ListLocksResponse__Output>
  Release: MethodDefinition<_dtx_v1_ReleaseRequest, _dtx_v1_ReleaseResponse, _dtx_v1_ReleaseRequest__Output, _dtx_v1_ReleaseResponse__Output>
}
