import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as AdminProto } from './generated/admin.js';
import type { ProtoGrpcType as CoordinatorProto } from './generated/coordinator.js';
import type { ProtoGrpcType as LocksProto } from './generated/locks.js';
import type { ProtoGrpcType as ParticipantProto } from './generated/participant.js';
import type { ProtoGrpcType as ShardsProto } from './generated/shards.js';

export type DtxProto = AdminProto & CoordinatorProto & ParticipantProto & LocksProto & ShardsProto;

/** proto/ sits at the package root; this file is in src/rpc or dist/rpc. */
function findProtoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, 'dtx', 'v1', 'coordinator.proto'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('cannot find the proto/ directory of dtx');
}

export const PROTO_ROOT = findProtoRoot();
export const PROTO_FILES = [
  'dtx/v1/types.proto',
  'dtx/v1/coordinator.proto',
  'dtx/v1/participant.proto',
  'dtx/v1/admin.proto',
  'dtx/v1/locks.proto',
  'dtx/v1/shards.proto',
];

/** The loader options the generated types in ./generated were made with. */
export const LOADER_OPTIONS: protoLoader.Options = {
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

export const packageDefinition = protoLoader.loadSync(PROTO_FILES, LOADER_OPTIONS);
export const proto = grpc.loadPackageDefinition(packageDefinition) as unknown as DtxProto;
export const dtxV1 = proto.dtx.v1;

export const SERVICE_NAMES = {
  coordinator: 'dtx.v1.Coordinator',
  participant: 'dtx.v1.Participant',
  admin: 'dtx.v1.Admin',
  locks: 'dtx.v1.Locks',
  shards: 'dtx.v1.Shards',
  shardHost: 'dtx.v1.ShardHost',
} as const;
