/**
 * Wire-level fuzzing of real dtx nodes (test/integration/wire-fuzz.test.ts).
 *
 * - WireSchema: every RPC of every service a node serves (dtx.v1.*, grpc.health.v1.Health, server
 *   reflection v1 and v1alpha), read from the very .proto files and loader the nodes use, with the
 *   server's own deserializer (what the node will make of a payload).
 * - pb: a protobuf wire writer, so that a message can carry what no well-behaved serializer writes:
 *   invalid UTF-8 in string fields, duplicate and unknown fields, wrong wire types, overlong varints.
 * - fast-check arbitraries of Actions (one message, or a short scenario sent in order) in four
 *   families: structurally valid messages with hostile values, scenarios of valid messages sent out
 *   of order, mutations of valid encodings, raw random bytes.
 * - admissible(): what the fuzzer must never send, because it would be a legitimate command, not an
 *   attack (a valid Admin.SetFailpoint kill, a network-fault rule, a clock offset), or because it
 *   forges the bank's own traffic (see FuzzContext).
 * - RawCaller: calls with identity serializers, a deadline on every call and a watchdog behind it.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import fc from 'fast-check';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { FAILPOINTS } from '../../src/node/failpoints.js';
import { NetworkFaults, type LinkFault } from '../../src/rpc/networkFaults.js';
import { LOADER_OPTIONS, PROTO_FILES } from '../../src/rpc/protos.js';

// ---------------------------------------------------------------------------------------------
// Schema

export type NodeRole = 'coordinator' | 'participant';
export type RpcKind = 'unary' | 'bidi' | 'serverStream' | 'clientStream';

export interface FieldDesc {
  name: string;
  number: number;
  repeated: boolean;
  /** TYPE_STRING, TYPE_INT64, TYPE_MESSAGE, ... */
  type: string;
  /** Full name of a message or enum type ('' for scalars). */
  typeName: string;
}

export interface MessageDesc {
  fullName: string;
  shortName: string;
  fields: FieldDesc[];
}

export interface RpcMethod {
  service: string;
  name: string;
  /** e.g. /dtx.v1.Participant/Commit */
  path: string;
  kind: RpcKind;
  requestType: string;
  servedBy: readonly NodeRole[];
  /** Exactly what the server makes of a payload (its deserializer); throws on what it refuses. */
  decodeRequest(b: Buffer): unknown;
  decodeResponse(b: Buffer): unknown;
  encodeRequest(obj: object): Buffer;
}

const BOTH: readonly NodeRole[] = ['coordinator', 'participant'];
const SERVED_BY: Record<string, readonly NodeRole[]> = {
  'dtx.v1.Coordinator': ['coordinator'],
  'dtx.v1.Locks': ['coordinator'],
  'dtx.v1.Participant': ['participant'],
  'dtx.v1.Admin': BOTH,
  'grpc.health.v1.Health': BOTH,
  'grpc.reflection.v1.ServerReflection': BOTH,
  'grpc.reflection.v1alpha.ServerReflection': BOTH,
};

interface DescriptorJson {
  name: string;
  field?: { name: string; number: number; label: string; type: string; typeName: string }[];
  value?: { name: string; number: number }[];
}

const packageOf = (fullName: string): string => fullName.slice(0, Math.max(0, fullName.lastIndexOf('.')));

export class WireSchema {
  readonly methods: RpcMethod[] = [];
  readonly messages = new Map<string, MessageDesc>();
  readonly enums = new Map<string, number[]>();

  private constructor() {}

  static load(): WireSchema {
    const s = new WireSchema();
    const reflectionRoot = join(dirname(createRequire(import.meta.url).resolve('@grpc/reflection')), '..', 'proto');
    const loaderOptions = { ...LOADER_OPTIONS, includeDirs: [] as string[] };
    const definitions = [
      protoLoader.loadSync(PROTO_FILES, LOADER_OPTIONS),
      protoLoader.loadSync(healthProtoPath, loaderOptions),
      protoLoader.loadSync(['grpc/reflection/v1/reflection.proto', 'grpc/reflection/v1alpha/reflection.proto'], {
        ...loaderOptions,
        includeDirs: [reflectionRoot],
      }),
    ];
    for (const pd of definitions) {
      for (const [fullName, def] of Object.entries(pd)) {
        if ('format' in def && def.format === 'Protocol Buffer 3 DescriptorProto') s.addMessage(fullName, def.type as DescriptorJson);
        else if ('format' in def && def.format === 'Protocol Buffer 3 EnumDescriptorProto') {
          s.enums.set(
            fullName,
            ((def.type as DescriptorJson).value ?? []).map((v) => v.number),
          );
        }
      }
    }
    for (const pd of definitions) {
      for (const [service, def] of Object.entries(pd)) {
        const servedBy = SERVED_BY[service];
        if (!servedBy || 'format' in def) continue;
        for (const [name, m] of Object.entries(def as protoLoader.ServiceDefinition)) {
          const kind: RpcKind = m.requestStream ? (m.responseStream ? 'bidi' : 'clientStream') : m.responseStream ? 'serverStream' : 'unary';
          s.methods.push({
            service,
            name,
            path: m.path,
            kind,
            requestType: `${packageOf(service)}.${(m.requestType.type as DescriptorJson).name}`,
            servedBy,
            decodeRequest: (b) => m.requestDeserialize(b),
            decodeResponse: (b) => m.responseDeserialize(b),
            encodeRequest: (obj) => m.requestSerialize(obj),
          });
        }
      }
    }
    return s;
  }

  private addMessage(fullName: string, d: DescriptorJson): void {
    const pkg = packageOf(fullName);
    const fields = (d.field ?? []).map((f) => ({
      name: f.name,
      number: f.number,
      repeated: f.label === 'LABEL_REPEATED',
      type: f.type,
      typeName: !f.typeName ? '' : f.typeName.startsWith('.') ? f.typeName.slice(1) : `${pkg}.${f.typeName}`,
    }));
    this.messages.set(fullName, { fullName, shortName: d.name, fields });
  }

  method(path: string): RpcMethod {
    const m = this.methods.find((x) => x.path === path);
    if (!m) throw new Error(`no RPC ${path}`);
    return m;
  }

  message(fullName: string): MessageDesc {
    const m = this.messages.get(fullName);
    if (!m) throw new Error(`no message type ${fullName}`);
    return m;
  }
}

// ---------------------------------------------------------------------------------------------
// Protobuf wire writer

const MASK64 = (1n << 64n) - 1n;

function varintBytes(v: bigint): Buffer {
  let x = v & MASK64;
  const out: number[] = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x) b |= 0x80;
    out.push(b);
  } while (x);
  return Buffer.from(out);
}

export const pb = {
  varintBytes,
  tag: (field: number, wireType: number): Buffer => varintBytes((BigInt(field) << 3n) | BigInt(wireType)),
  varint: (field: number, v: bigint): Buffer => Buffer.concat([pb.tag(field, 0), varintBytes(v)]),
  bytes: (field: number, b: Buffer): Buffer => Buffer.concat([pb.tag(field, 2), varintBytes(BigInt(b.length)), b]),
  fixed64: (field: number, d: number): Buffer => {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(d);
    return Buffer.concat([pb.tag(field, 1), b]);
  },
  fixed32: (field: number, n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0);
    return Buffer.concat([pb.tag(field, 5), b]);
  },
};

// ---------------------------------------------------------------------------------------------
// Context and value pools

export interface FuzzNode {
  name: string;
  role: NodeRole;
  address: string;
}

export interface FuzzContext {
  nodes: FuzzNode[];
  /**
   * The bank's accounts: no message may name one, except a Coordinator.Read (reads cannot move
   * money). Every valid write the fuzzer makes lands on other keys, so the audited total must hold.
   */
  accountPrefix: string;
  accountKeys: string[];
  /**
   * Ids of the bank's own transfers, in flight while the fuzz runs. Only Transact, TransactStream,
   * GetTransaction and GetTxnState (abort_if_unvoted or not) may name them: a forged Prepare,
   * Commit or Abort of a real transaction is a question of authentication, not of input handling.
   */
  transferPrefix: string;
  /** Real transactions that ended before the fuzz (committed and aborted), on keys outside the bank. */
  finishedTxnIds: string[];
  /** The number of the bank's newest transfer (its id is transferPrefix + number): the ones in flight now. */
  latestTransfer: () => number;
}

/** The methods that may name a real in-flight transfer id. */
const TRANSFER_ID_METHODS = new Set([
  '/dtx.v1.Coordinator/Transact',
  '/dtx.v1.Coordinator/TransactStream',
  '/dtx.v1.Coordinator/GetTransaction',
  '/dtx.v1.Participant/GetTxnState',
]);

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

const INVALID_UTF8: readonly number[][] = [
  [0xff],
  [0xfe, 0xff],
  [0xc0, 0x80], // overlong NUL
  [0xc3], // truncated 2-byte sequence
  [0xe2, 0x82], // truncated 3-byte sequence
  [0xed, 0xa0, 0x80], // UTF-16 surrogate encoded in UTF-8
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
  [0xf8, 0x88, 0x80, 0x80, 0x80], // 5-byte form
  [0x80], // lone continuation byte
];

const ODD_STRINGS: readonly string[] = [
  '\u0000',
  'a\u0000b',
  '\n',
  ' ',
  '..',
  '../../etc/passwd',
  '%s%n%x',
  '${x}',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'f!x',
  'k!',
  'p!t1',
  'o!t1',
  'd!x',
  'u!x',
  'l!x',
  'm!identity',
  'NaN',
  'Infinity',
  '-0',
  '1e309',
  '0x10',
  '9223372036854775808',
  '-9223372036854775809',
  '18446744073709551616',
  '\u202e',
  '\ufeff',
  'null',
  '[]',
];

/** Text bytes that no well-formed client sends, most of them small. */
function hostileText(): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { weight: 30, arbitrary: fc.constant(Buffer.alloc(0)) },
    { weight: 30, arbitrary: fc.string({ maxLength: 24 }).map(utf8) },
    { weight: 20, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }).map(utf8) },
    { weight: 10, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }).map(utf8) },
    {
      weight: 50,
      arbitrary: fc
        .tuple(fc.string({ maxLength: 6 }), fc.constantFrom(...INVALID_UTF8), fc.string({ maxLength: 6 }))
        .map(([a, b, c]) => Buffer.concat([utf8(a), Buffer.from(b), utf8(c)])),
    },
    { weight: 15, arbitrary: fc.uint8Array({ maxLength: 32 }).map((u) => Buffer.from(u)) },
    { weight: 30, arbitrary: fc.constantFrom(...ODD_STRINGS).map(utf8) },
    { weight: 15, arbitrary: boundaryText() },
    { weight: 3, arbitrary: fc.tuple(fc.integer({ min: 2_000, max: 70_000 }), fc.constantFrom('x', 'é', '\u0000')).map(([n, ch]) => Buffer.alloc(n, ch)) },
  );
}

/** Strings right at and just past the documented limits (chars vs bytes included). */
function boundaryText(): fc.Arbitrary<Buffer> {
  return fc.constantFrom(
    utf8('t'.repeat(200)),
    utf8('t'.repeat(201)),
    utf8('é'.repeat(200)), // 200 chars, 400 bytes
    utf8('k'.repeat(1024)),
    utf8('k'.repeat(1025)),
    utf8('é'.repeat(513)), // 513 chars, 1026 bytes
    utf8('l'.repeat(256)),
    utf8('l'.repeat(257)),
  );
}

/** A huge field (MBs): the payload of the rare 'huge' actions only. */
function hugeText(): fc.Arbitrary<{ size: number; fill: string; invalidTail: boolean }> {
  return fc.record({
    size: fc.constantFrom((1 << 20) - 1, 1 << 20, (1 << 20) + 1, 2 << 20, 3_500_000),
    fill: fc.constantFrom('x', 'é', '0'),
    invalidTail: fc.boolean(),
  });
}

function buildHuge(h: { size: number; fill: string; invalidTail: boolean }): Buffer {
  const b = Buffer.alloc(h.size, h.fill);
  if (h.invalidTail) b[b.length - 1] = 0xff;
  return b;
}

const MADE_UP_IDS = 150;
const FUZZ_KEYS = 40;
const LOCK_NAMES = 8;
const TRANSFER_IDS = 400;

interface Pools {
  txnId: fc.Arbitrary<string>;
  /** Made-up ids only: never prepared by anyone but the fuzzer. */
  madeUpId: fc.Arbitrary<string>;
  transferId: fc.Arbitrary<string>;
  key: fc.Arbitrary<string>;
  value: fc.Arbitrary<string>;
  nodeId: fc.Arbitrary<string>;
  participantId: fc.Arbitrary<string>;
  address: fc.Arbitrary<string>;
  lockName: fc.Arbitrary<string>;
  leaseId: fc.Arbitrary<string>;
  int64: fc.Arbitrary<string>;
  protocol: fc.Arbitrary<string | number>;
}

function pools(ctx: FuzzContext): Pools {
  const participants = ctx.nodes.filter((n) => n.role === 'participant');
  const coordinator = ctx.nodes.find((n) => n.role === 'coordinator')!;
  const madeUpId = fc.oneof(
    { weight: 8, arbitrary: fc.nat(MADE_UP_IDS - 1).map((i) => `wfz-evil-${i}`) },
    { weight: 1, arbitrary: fc.uuid().map((u) => `${coordinator.name}-${u}`) }, // the coordinator's reserved prefix
    { weight: 1, arbitrary: fc.constantFrom('evil-1', 'x', '-', 'a b', 'é', 't'.repeat(200), 't'.repeat(201), '\u0000') },
  );
  const transferId = fc.nat(TRANSFER_IDS - 1).map((i) => `${ctx.transferPrefix}${i}`);
  const key = fc.oneof(
    { weight: 8, arbitrary: fc.nat(FUZZ_KEYS - 1).map((i) => `wfz-k:${i}`) },
    { weight: 2, arbitrary: fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !k.startsWith(ctx.accountPrefix)) },
    { weight: 1, arbitrary: fc.constantFrom('', 'f!wfz-lock-0', 'f!x', 'k!x', 'p!x', 'k'.repeat(1024), 'k'.repeat(1025), 'é'.repeat(513), '\u0000') },
  );
  return {
    txnId: fc.oneof(
      { weight: 6, arbitrary: madeUpId },
      { weight: 1, arbitrary: fc.constantFrom(...ctx.finishedTxnIds) },
      { weight: 1, arbitrary: transferId },
      { weight: 1, arbitrary: fc.constant('') },
    ),
    madeUpId,
    transferId,
    key,
    value: fc.oneof(
      fc.constantFrom('0', '1', '-1', '100', '9223372036854775807', '-9223372036854775808', '9223372036854775808', 'abc', '', ' 5', '+5', '05', '1e3', '0x1f'),
      fc.string({ maxLength: 16 }),
    ),
    nodeId: fc.constantFrom(...ctx.nodes.map((n) => n.name), 'p0', 'p4', 'p9', 'c2', '', 'P1', 'p1 ', 'p1,p2'),
    participantId: fc.constantFrom(...participants.map((n) => n.name)),
    address: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...ctx.nodes.map((n) => n.address)) },
      {
        weight: 3,
        arbitrary: fc.constantFrom(
          '127.0.0.1:1',
          'localhost:0',
          '127.0.0.1:99999',
          '[::1]:1',
          'unix:/tmp/dtx-wire-fuzz-nope.sock',
          'dns:///nope.invalid:80',
          'xds:///nope',
          'ipv4:127.0.0.1:1,127.0.0.1:2',
          'a b',
          'a\nb',
          ':::',
          'http://127.0.0.1:1/',
          '',
          '%',
          `${coordinator.address}\u0000`,
        ),
      },
    ),
    lockName: fc.oneof(
      { weight: 6, arbitrary: fc.nat(LOCK_NAMES - 1).map((i) => `wfz-lock-${i}`) },
      { weight: 1, arbitrary: fc.constantFrom('', 'l'.repeat(256), 'l'.repeat(257), '%', '/', '\u0000', '__proto__') },
    ),
    leaseId: fc.oneof(fc.uuid(), fc.constantFrom('', 'x', '00000000-0000-0000-0000-000000000000', '__proto__')),
    int64: fc.oneof(
      fc.constantFrom('0', '1', '-1', '5', '-5', '100', '9223372036854775807', '-9223372036854775808', '4611686018427387904', '9007199254740993'),
      // out of range as decimal strings: protobufjs wraps them on the client side, so the node sees a wrapped value
      fc.constantFrom('9223372036854775808', '-9223372036854775809', '18446744073709551615', '99999999999999999999'),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
    ),
    protocol: fc.constantFrom('TWO_PC', 'THREE_PC', 'NON_BLOCKING', 'PROTOCOL_UNSPECIFIED', 0, 1, 2, 3, 4, 9, 255, 2147483647),
  };
}

// ---------------------------------------------------------------------------------------------
// Family 1: structurally valid messages with hostile values, from the descriptors

const EDGE_INTS: readonly bigint[] = [
  0n,
  1n,
  -1n,
  2n ** 31n - 1n,
  2n ** 31n,
  2n ** 32n - 1n,
  2n ** 32n,
  2n ** 53n,
  2n ** 53n + 1n,
  2n ** 63n - 1n,
  -(2n ** 63n),
  2n ** 64n - 1n,
];

/** Plausible integers per field name: values that pass validation reach deeper. */
const INTS_BY_FIELD: Record<string, readonly bigint[]> = {
  timeoutMs: [0n, 1n, 10n, 100n, 1000n, 3000n, 120_000n, 120_001n],
  lockWaitMs: [0n, 1n, 50n, 500n, 2000n, 60_000n, 60_001n],
  ageMs: [0n, 1n, 1_700_000_000_000n, 2n ** 53n],
  firstAttemptMs: [0n, 1n, 1_700_000_000_000n, 2n ** 53n],
  requestId: [0n, 1n, 2n, 3n],
  delta: [0n, 1n, -1n, 5n, -5n, 2n ** 62n],
  value: [0n, 1n, -1n, 100n],
  token: [0n, 1n, 2n, 1000n, 2n ** 53n + 1n],
  version: [0n, 1n, 2n, 2n ** 53n],
  ttlMs: [0n, 1n, 99n, 100n, 1000n, 5000n, 120_000n, 120_001n],
  waitMs: [0n, 1n, 100n, 1000n, 120_000n, 120_001n],
  limit: [0n, 1n, 1000n, 1001n],
  delayMs: [0n, 1n, 60_000n, 60_001n],
  jitterMs: [0n, 1n, 60_000n, 60_001n],
  offsetMs: [0n, 86_400_001n, -86_400_001n, 2n ** 53n],
  extensionNumber: [0n, 1n, 536_870_911n],
};

const DOUBLES: readonly number[] = [0, -0, 0.5, 1, 1.0000001, -1, 2, NaN, Infinity, -Infinity, 1e308, 5e-324];

export type Flavor = 'hostile' | 'plausible';

/**
 * Encoded messages of a type: each field absent, once, or repeated (a duplicate of a singular
 * field too), its value plausible (from the pools, so it passes validation) or hostile (invalid
 * UTF-8, edge integers, unknown enum numbers, NaN, nested garbage, a wrong wire type), in any
 * order, sometimes with unknown fields. 'plausible' keeps to well-formed messages with pool values
 * (the bases that mutations start from).
 */
export class StructuredMessages {
  private readonly memo = new Map<string, fc.Arbitrary<Buffer>>();
  private readonly p: Pools;

  constructor(
    private readonly schema: WireSchema,
    private readonly ctx: FuzzContext,
  ) {
    this.p = pools(ctx);
  }

  of(typeName: string, flavor: Flavor, depth = 0): fc.Arbitrary<Buffer> {
    const memoKey = `${typeName}@${flavor}@${depth}`;
    const hit = this.memo.get(memoKey);
    if (hit) return hit;
    const msg = this.schema.message(typeName);
    const fields = msg.fields.map((f) => this.field(msg, f, flavor, depth));
    const unknown = fc.array(unknownField(), { maxLength: 3 });
    const arb = fc
      .tuple(fc.tuple(...fields), flavor === 'hostile' ? fc.nat(9) : fc.constant(9), unknown, flavor === 'hostile' ? fc.nat(9) : fc.constant(9))
      .map(([parts, order, extra, unknownRoll]) => {
        const present = parts.filter((b) => b.length > 0);
        if (order === 0) present.reverse(); // any order is legal protobuf
        if (unknownRoll === 0) present.push(...extra);
        return Buffer.concat(present);
      });
    this.memo.set(memoKey, arb);
    return arb;
  }

  private field(msg: MessageDesc, f: FieldDesc, flavor: Flavor, depth: number): fc.Arbitrary<Buffer> {
    const one = this.value(msg, f, flavor, depth);
    const count = f.repeated
      ? fc.oneof(
          { weight: 30, arbitrary: fc.constant(0) },
          { weight: 40, arbitrary: fc.constant(1) },
          { weight: 25, arbitrary: fc.integer({ min: 2, max: 5 }) },
          {
            weight: flavor === 'hostile' ? 4 : 0,
            arbitrary: fc.integer({ min: 6, max: 40 }),
          },
        )
      : fc.oneof(
          { weight: 25, arbitrary: fc.constant(0) },
          { weight: 65, arbitrary: fc.constant(1) },
          { weight: flavor === 'hostile' ? 10 : 0, arbitrary: fc.constant(2) },
        );
    return count.chain((n) => (n === 0 ? fc.constant(Buffer.alloc(0)) : fc.array(one, { minLength: n, maxLength: n }).map((bs) => Buffer.concat(bs))));
  }

  /** One encoded occurrence of a field (tag included). */
  private value(msg: MessageDesc, f: FieldDesc, flavor: Flavor, depth: number): fc.Arbitrary<Buffer> {
    const plausible = this.plausible(msg, f, depth);
    if (flavor === 'plausible') return plausible;
    const wrongWireType = fc
      .tuple(fc.constantFrom(0, 1, 2, 5), fc.uint8Array({ maxLength: 9 }))
      .map(([wt, body]) =>
        wt === 0 ? pb.varint(f.number, 1n) : wt === 1 ? pb.fixed64(f.number, 1) : wt === 5 ? pb.fixed32(f.number, 7) : pb.bytes(f.number, Buffer.from(body)),
      );
    return fc.oneof({ weight: 55, arbitrary: plausible }, { weight: 42, arbitrary: this.hostile(f, depth) }, { weight: 3, arbitrary: wrongWireType });
  }

  private plausible(msg: MessageDesc, f: FieldDesc, depth: number): fc.Arbitrary<Buffer> {
    switch (f.type) {
      case 'TYPE_STRING':
      case 'TYPE_BYTES':
        return this.plausibleString(msg, f).map((s) => pb.bytes(f.number, utf8(s)));
      case 'TYPE_BOOL':
        return fc.boolean().map((b) => pb.varint(f.number, b ? 1n : 0n));
      case 'TYPE_ENUM': {
        const known = this.schema.enums.get(f.typeName) ?? [0];
        return fc.constantFrom(...known).map((n) => pb.varint(f.number, BigInt(n)));
      }
      case 'TYPE_DOUBLE':
        return fc.constantFrom(0, 0.1, 0.5, 1).map((d) => pb.fixed64(f.number, d));
      case 'TYPE_MESSAGE':
        return depth >= 5 ? fc.constant(pb.bytes(f.number, Buffer.alloc(0))) : this.of(f.typeName, 'plausible', depth + 1).map((b) => pb.bytes(f.number, b));
      default: {
        // integers: int64, uint64, int32, uint32
        const ints = INTS_BY_FIELD[f.name];
        if (f.type === 'TYPE_INT64' && !ints) return this.p.int64.map((s) => pb.varint(f.number, BigInt.asUintN(64, BigInt(s))));
        return fc.constantFrom(...(ints ?? [0n, 1n, 2n, 100n])).map((v) => pb.varint(f.number, v));
      }
    }
  }

  private plausibleString(msg: MessageDesc, f: FieldDesc): fc.Arbitrary<string> {
    const p = this.p;
    const qualified = `${msg.shortName}.${f.name}`;
    switch (qualified) {
      case 'SetFailpointRequest.name':
        return fc.constantFrom(...Object.keys(FAILPOINTS), 'nope', '', 'toString', '__proto__');
      case 'SetFailpointRequest.action':
        return fc.constantFrom('kill', 'off', 'KILL', 'Off', '', 'kill ');
      case 'HealthCheckRequest.service':
        return fc.constantFrom('', 'dtx.v1.Coordinator', 'dtx.v1.Participant', 'dtx.v1.Admin', 'dtx.v1.Locks', 'grpc.health.v1.Health', 'nope');
      case 'AcquireRequest.name':
      case 'DescribeLockRequest.name':
      case 'Fence.lock':
        return p.lockName;
      case 'ListLocksRequest.prefix':
        return fc.constantFrom('', 'wfz', 'wfz-lock-', '%', 'l'.repeat(300));
      case 'ReadRequest.keys':
        return fc.oneof({ weight: 3, arbitrary: p.key }, { weight: 1, arbitrary: fc.constantFrom(...this.ctx.accountKeys) });
      case 'ServerReflectionRequest.fileByFilename':
        return fc.constantFrom('dtx/v1/types.proto', 'dtx/v1/coordinator.proto', 'grpc/health/v1/health.proto', '/etc/passwd', '../x', '');
      case 'ServerReflectionRequest.fileContainingSymbol':
      case 'ServerReflectionRequest.allExtensionNumbersOfType':
      case 'ExtensionRequest.containingType':
        return fc.constantFrom('dtx.v1.Op', 'dtx.v1.Coordinator', 'dtx.v1.Coordinator.Transact', 'grpc.health.v1.Health', '', '.', 'dtx', 'dtx.v1.', 'a..b');
      default:
        break;
    }
    switch (f.name) {
      case 'txnId':
        return p.txnId;
      case 'key':
      case 'keys':
        return p.key;
      case 'value':
        return p.value;
      case 'coordinatorId':
      case 'participants':
      case 'from':
      case 'to':
        return p.nodeId;
      case 'coordinatorAddr':
      case 'participantAddrs':
        return p.address;
      case 'leaseId':
        return p.leaseId;
      default:
        return fc.string({ maxLength: 16 });
    }
  }

  private hostile(f: FieldDesc, depth: number): fc.Arbitrary<Buffer> {
    switch (f.type) {
      case 'TYPE_STRING':
      case 'TYPE_BYTES':
        return hostileText().map((b) => pb.bytes(f.number, b));
      case 'TYPE_DOUBLE':
        return fc.oneof(fc.constantFrom(...DOUBLES), fc.double()).map((d) => pb.fixed64(f.number, d));
      case 'TYPE_ENUM':
        return fc
          .oneof(
            fc.constantFrom(4n, 9n, 99n, 2n ** 31n - 1n, -1n, -(2n ** 31n), 2n ** 32n, 2n ** 63n - 1n),
            fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
          )
          .map((v) => pb.varint(f.number, v));
      case 'TYPE_MESSAGE':
        return fc
          .oneof(
            { weight: 3, arbitrary: depth >= 5 ? fc.constant(Buffer.alloc(0)) : this.of(f.typeName, 'hostile', depth + 1) },
            { weight: 1, arbitrary: fc.uint8Array({ maxLength: 24 }).map((u) => Buffer.from(u)) }, // garbage as the sub-message
            { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) },
          )
          .map((b) => pb.bytes(f.number, b));
      default:
        // integers and bools: any 64-bit pattern (negative int32s are 10-byte varints), or an overlong varint
        return fc.oneof(
          { weight: 6, arbitrary: fc.constantFrom(...EDGE_INTS).map((v) => pb.varint(f.number, v)) },
          { weight: 3, arbitrary: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }).map((v) => pb.varint(f.number, v)) },
          {
            weight: 1,
            arbitrary: fc.integer({ min: 11, max: 14 }).map((n) => Buffer.concat([pb.tag(f.number, 0), Buffer.alloc(n, 0xff), Buffer.from([0x01])])),
          },
        );
    }
  }
}

/** A field this message does not have, or one no protobuf decoder should accept. */
function unknownField(): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.tuple(fc.integer({ min: 50, max: 536_870_911 }), fc.uint8Array({ maxLength: 8 })).map(([n, b]) => pb.bytes(n, Buffer.from(b))) },
    { weight: 3, arbitrary: fc.integer({ min: 50, max: 536_870_911 }).map((n) => pb.varint(n, 42n)) },
    { weight: 1, arbitrary: fc.constantFrom(Buffer.from([0x0e]), Buffer.from([0x0f]), Buffer.from([0x0b]), Buffer.from([0x0c]), Buffer.from([0x00, 0x00])) }, // wire types 6, 7, groups, field 0
    { weight: 1, arbitrary: fc.constant(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])) }, // length 4 GiB, no body
  );
}

// ---------------------------------------------------------------------------------------------
// Families 3 and 4: mutations and raw bytes

type Mutation =
  | { op: 'flip'; pos: number; bit: number }
  | { op: 'set'; pos: number; value: number }
  | { op: 'truncate'; pos: number }
  | { op: 'extend'; bytes: Uint8Array }
  | { op: 'insert'; pos: number; bytes: Uint8Array }
  | { op: 'remove'; pos: number; len: number }
  | { op: 'duplicate' }
  | { op: 'varint'; pos: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), pos: fc.nat(), bit: fc.nat(7) }),
  fc.record({ op: fc.constant('set' as const), pos: fc.nat(), value: fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xff, 0x0a, 0x12) }),
  fc.record({ op: fc.constant('truncate' as const), pos: fc.nat() }),
  fc.record({ op: fc.constant('extend' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ op: fc.constant('insert' as const), pos: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ op: fc.constant('remove' as const), pos: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
  fc.constant({ op: 'duplicate' as const }),
  fc.record({ op: fc.constant('varint' as const), pos: fc.nat() }),
);

export function applyMutations(base: Buffer, ms: readonly Mutation[]): Buffer {
  let b = Buffer.from(base);
  for (const m of ms) {
    const at = (pos: number, extra = 0): number => (b.length + extra === 0 ? 0 : pos % (b.length + extra));
    switch (m.op) {
      case 'flip':
        if (b.length) b[at(m.pos)]! ^= 1 << m.bit;
        break;
      case 'set':
        if (b.length) b[at(m.pos)] = m.value;
        break;
      case 'truncate':
        b = b.subarray(0, at(m.pos));
        break;
      case 'extend':
        b = Buffer.concat([b, m.bytes]);
        break;
      case 'insert': {
        const i = at(m.pos, 1);
        b = Buffer.concat([b.subarray(0, i), m.bytes, b.subarray(i)]);
        break;
      }
      case 'remove': {
        const i = at(m.pos);
        b = Buffer.concat([b.subarray(0, i), b.subarray(i + m.len)]);
        break;
      }
      case 'duplicate':
        b = Buffer.concat([b, b]); // every field twice: the last singular value wins, repeated ones double
        break;
      case 'varint': {
        const i = at(m.pos, 1);
        b = Buffer.concat([b.subarray(0, i), Buffer.alloc(11, 0xff), b.subarray(i)]);
        break;
      }
    }
  }
  return b;
}

export function mutated(base: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  return fc.tuple(base, fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([b, ms]) => applyMutations(b, ms));
}

export function rawBytes(): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { weight: 40, arbitrary: fc.uint8Array({ maxLength: 16 }).map((u) => Buffer.from(u)) },
    { weight: 30, arbitrary: fc.uint8Array({ maxLength: 256 }).map((u) => Buffer.from(u)) },
    { weight: 10, arbitrary: fc.uint8Array({ maxLength: 4096 }).map((u) => Buffer.from(u)) },
    {
      weight: 15,
      arbitrary: fc.constantFrom(
        Buffer.alloc(0),
        Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
        Buffer.concat([Buffer.from([0x08]), Buffer.alloc(10, 0xff), Buffer.from([0x01])]),
        Buffer.from([0x0b]),
        Buffer.from([0x0f, 0x00]),
        Buffer.from([0x00]),
        Buffer.alloc(64, 0xff),
        Buffer.alloc(64, 0x80),
      ),
    },
    { weight: 1, arbitrary: fc.constantFrom(1 << 16, 1 << 20).map((n) => Buffer.alloc(n, 0x0a)) },
  );
}

// ---------------------------------------------------------------------------------------------
// Actions

export interface CallOutcome {
  /** The call's gRPC status (UNKNOWN when it hung: see hung). */
  code: grpc.status;
  details: string;
  ms: number;
  responses: Buffer[];
  /** The client's own deadline ended the call: no answer from the node in time. */
  localDeadline: boolean;
  /** Not even the deadline ended it: neither a status nor a response by deadline + grace. */
  hung: boolean;
  /** Which connection to the node carried it (RawCaller.reset makes a new one). */
  connection: number;
}

export interface Step {
  node: string;
  path: string;
  /** One payload per message: a unary call sends frames[0], a stream all of them in order. */
  frames: Buffer[] | ((earlier: CallOutcome[]) => Buffer[]);
  /** Streams: cancel this long after the last write instead of half-closing. */
  cancelAfterMs?: number;
}

export type Family = 'structured' | 'scenario' | 'mutated' | 'raw' | 'huge';

export interface Action {
  family: Family;
  /** What the action is, for the report (a scenario's name, or the family). */
  name: string;
  steps: Step[];
}

interface ArbOptions {
  schema: WireSchema;
  ctx: FuzzContext;
}

/** Picks the node of a step: a node that serves the method, mostly; any node sometimes (UNIMPLEMENTED). */
function nodeFor(ctx: FuzzContext, m: RpcMethod): fc.Arbitrary<string> {
  const serving = ctx.nodes.filter((n) => m.servedBy.includes(n.role)).map((n) => n.name);
  return fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...serving) }, { weight: 1, arbitrary: fc.constantFrom(...ctx.nodes.map((n) => n.name)) });
}

function framesFor(m: RpcMethod, one: fc.Arbitrary<Buffer>): fc.Arbitrary<{ frames: Buffer[]; cancelAfterMs?: number }> {
  if (m.kind === 'unary' || m.kind === 'serverStream') {
    return one.map((b) => (m.kind === 'serverStream' ? { frames: [b], cancelAfterMs: 150 } : { frames: [b] }));
  }
  return fc
    .tuple(fc.array(one, { minLength: 1, maxLength: 5 }), fc.option(fc.integer({ min: 0, max: 200 }), { freq: 5 }))
    .map(([frames, cancel]) => (cancel === null ? { frames } : { frames, cancelAfterMs: cancel }));
}

/** One message (or one stream of a few) to one RPC, from a family of single messages. */
function single(o: ArbOptions, family: 'structured' | 'mutated' | 'raw', structured: StructuredMessages): fc.Arbitrary<Action> {
  return fc.constantFrom(...o.schema.methods).chain((m) => {
    const payload =
      family === 'structured'
        ? structured.of(m.requestType, 'hostile')
        : family === 'mutated'
          ? mutated(fc.oneof(structured.of(m.requestType, 'plausible'), structured.of(m.requestType, 'hostile')))
          : rawBytes();
    return fc.tuple(nodeFor(o.ctx, m), framesFor(m, payload)).map(([node, f]) => ({ family, name: family, steps: [{ node, path: m.path, ...f }] }));
  });
}

/** A message with one field of MBs, in the places a client controls. */
function huge(o: ArbOptions): fc.Arbitrary<Action> {
  const c = o.ctx;
  const coordinator = c.nodes.find((n) => n.role === 'coordinator')!.name;
  const participants = c.nodes.filter((n) => n.role === 'participant').map((n) => n.name);
  return fc.tuple(hugeText(), fc.nat(7), fc.constantFrom(...participants)).map(([h, which, participant]): Action => {
    const big = buildHuge(h);
    const op = (key: Buffer, value: Buffer): Buffer => Buffer.concat([pb.bytes(1, key), pb.bytes(2, pb.bytes(1, value))]); // Op{key, put{value}}
    const variants: [string, string, Buffer][] = [
      [coordinator, '/dtx.v1.Coordinator/Transact', pb.bytes(2, op(utf8('wfz-k:huge'), big))],
      [coordinator, '/dtx.v1.Coordinator/Transact', Buffer.concat([pb.bytes(1, big), pb.bytes(2, op(utf8('wfz-k:1'), utf8('v')))])],
      [coordinator, '/dtx.v1.Coordinator/Read', pb.bytes(1, big)],
      [coordinator, '/dtx.v1.Locks/Acquire', Buffer.concat([pb.bytes(1, big), pb.bytes(2, big.subarray(0, 1000))])],
      [
        participant,
        '/dtx.v1.Participant/Prepare',
        Buffer.concat([pb.bytes(1, utf8('wfz-evil-huge')), pb.bytes(3, utf8('127.0.0.1:1')), pb.bytes(4, op(utf8('wfz-k:2'), big))]),
      ],
      [participant, '/dtx.v1.Participant/GetTxnState', pb.bytes(1, big)],
      [participant, '/dtx.v1.Admin/SetFailpoint', Buffer.concat([pb.bytes(1, big), pb.bytes(2, utf8('kill'))])],
      [participant, '/grpc.health.v1.Health/Check', pb.bytes(1, big)],
    ];
    const [node, path, payload] = variants[which]!;
    return { family: 'huge', name: `huge ${path}`, steps: [{ node, path, frames: [payload] }] };
  });
}

export function actionArbitrary(schema: WireSchema, ctx: FuzzContext): fc.Arbitrary<Action> {
  const o = { schema, ctx };
  const structured = new StructuredMessages(schema, ctx);
  return fc.oneof(
    { weight: 380, arbitrary: single(o, 'structured', structured) },
    { weight: 230, arbitrary: scenarios(o) },
    { weight: 200, arbitrary: single(o, 'mutated', structured) },
    { weight: 160, arbitrary: single(o, 'raw', structured) },
    { weight: 3, arbitrary: huge(o) },
  );
}

// ---------------------------------------------------------------------------------------------
// Family 2: scenarios of valid messages, sent out of order

type Obj = Record<string, unknown>;

function scenarioParts(o: ArbOptions) {
  const c = o.ctx;
  const p = pools(c);
  const coordinator = c.nodes.find((n) => n.role === 'coordinator')!;
  const participantNodes = c.nodes.filter((n) => n.role === 'participant');
  const enc = (path: string, obj: Obj): Buffer => o.schema.method(path).encodeRequest(obj);
  const step = (node: string, path: string, obj: Obj | Obj[], cancelAfterMs?: number): Step => ({
    node,
    path,
    frames: (Array.isArray(obj) ? obj : [obj]).map((x) => enc(path, x)),
    ...(cancelAfterMs !== undefined ? { cancelAfterMs } : {}),
  });
  const bound = p.int64.map((value) => ({ value }));
  const fence = fc.record({ lock: p.lockName, token: p.int64 });
  // Mostly well-formed ops (they reach the cores), some with a hostile kind.
  const kind = fc.oneof(
    { weight: 6, arbitrary: p.value.map((value) => ({ put: { value } })) },
    { weight: 2, arbitrary: fc.constant({ delete: {} }) },
    { weight: 3, arbitrary: fc.constant({ get: {} }) },
    {
      weight: 4,
      arbitrary: fc
        .record({ delta: p.int64, min: fc.option(bound, { nil: undefined }), max: fc.option(bound, { nil: undefined }) }, { requiredKeys: ['delta'] })
        .map((add) => ({ add })),
    },
    {
      weight: 2,
      arbitrary: fc
        .oneof(
          p.int64.map((version) => ({ version })),
          p.value.map((value) => ({ value })),
          fc.boolean().map((exists) => ({ exists })),
          fc.constant({}),
        )
        .map((check) => ({ check })),
    },
    { weight: 1, arbitrary: fc.constant({}) }, // no kind at all: the oneof left unset
  );
  const op: fc.Arbitrary<Obj> = fc.tuple(p.key, kind, fc.option(fence, { freq: 6 })).map(([key, k, f]) => ({ key, ...k, ...(f ? { fence: f } : {}) }));
  const ops = fc.oneof({ weight: 20, arbitrary: fc.array(op, { minLength: 1, maxLength: 3 }) }, { weight: 1, arbitrary: fc.constant([]) });
  const prepare = (id: string, names: string[]): fc.Arbitrary<Obj> =>
    fc.record({
      txnId: fc.constant(id),
      coordinatorId: fc.oneof({ weight: 4, arbitrary: fc.constant(coordinator.name) }, { weight: 1, arbitrary: p.nodeId }),
      coordinatorAddr: fc.oneof({ weight: 3, arbitrary: fc.constant(coordinator.address) }, { weight: 2, arbitrary: p.address }),
      ops,
      participants: fc.oneof({ weight: 6, arbitrary: fc.constant(names) }, { weight: 1, arbitrary: fc.array(p.nodeId, { maxLength: 4 }) }),
      participantAddrs: fc.oneof(
        { weight: 4, arbitrary: fc.constant(names.map((n) => c.nodes.find((x) => x.name === n)!.address)) },
        { weight: 1, arbitrary: fc.array(p.address, { maxLength: 4 }) },
      ),
      protocol: p.protocol,
      ageMs: fc.constantFrom('0', '1', '1700000000000', '18446744073709551615'),
      lockWaitMs: fc.constantFrom(0, 10, 100, 1000, 3000),
    });
  const transact = (id: string): fc.Arbitrary<Obj> =>
    fc.record({ txnId: fc.constant(id), ops, protocol: p.protocol, timeoutMs: fc.constantFrom(0, 50, 1000, 3000), requestId: fc.constantFrom('0', '1', '2') });
  const decision = fc.constantFrom('Commit', 'Abort', 'PreCommit', 'ReleaseReadOnly', 'GetTxnState', 'GetTxnState+abort');
  const decide = (node: string, id: string, d: string): Step =>
    d.startsWith('GetTxnState')
      ? step(node, '/dtx.v1.Participant/GetTxnState', { txnId: id, abortIfUnvoted: d.endsWith('abort') })
      : step(node, `/dtx.v1.Participant/${d}`, { txnId: id });
  return { c, p, coordinator, participantNodes, step, op, ops, prepare, transact, decision, decide };
}

function scenarios(o: ArbOptions): fc.Arbitrary<Action> {
  const s = scenarioParts(o);
  const { c, p, coordinator, step, prepare, transact, decision, decide } = s;
  const pName = fc.constantFrom(...s.participantNodes.map((n) => n.name));
  const anyNode = fc.constantFrom(...c.nodes.map((n) => n.name));
  const scenario = (name: string, steps: Step[]): Action => ({ family: 'scenario', name, steps });

  // Commit/Abort/PreCommit/ReleaseReadOnly/GetTxnState for an id nobody prepared, in any order.
  const outOfOrder = fc
    .tuple(p.madeUpId, pName, fc.oneof(fc.array(decision, { minLength: 2, maxLength: 6 }), fc.constant(['Abort', 'Commit'])))
    .map(([id, node, seq]) =>
      scenario(
        `decisions without a prepare: ${seq.join(',')}`,
        seq.map((d) => decide(node, id, d)),
      ),
    );

  // A forged Prepare (valid or not), then decisions in any order, maybe a second prepare of other contents.
  const prepareThenDecide = fc
    .tuple(
      p.madeUpId,
      fc.subarray(
        s.participantNodes.map((n) => n.name),
        { minLength: 1 },
      ),
      fc.array(decision, { minLength: 1, maxLength: 5 }),
      fc.boolean(),
    )
    .chain(([id, names, seq, again]) =>
      fc
        .tuple(prepare(id, names), again ? fc.option(prepare(id, names), { freq: 1 }) : fc.constant(null))
        .map(([prep, prep2]) =>
          scenario(`prepare on ${names.join(',')}, then ${seq.join(',')}${prep2 ? ', prepared again' : ''}`, [
            ...names.map((n) => step(n, '/dtx.v1.Participant/Prepare', prep)),
            ...(prep2 ? [step(names[0]!, '/dtx.v1.Participant/Prepare', prep2)] : []),
            ...seq.map((d, i) => decide(names[i % names.length]!, id, d)),
          ]),
        ),
    );

  // A real transaction under a made-up id, then forged participant messages and retries of that id.
  const transactThenForge = fc
    .tuple(p.madeUpId, fc.array(fc.tuple(pName, decision), { minLength: 1, maxLength: 4 }), fc.boolean())
    .chain(([id, forged, retry]) =>
      fc
        .tuple(transact(id), transact(id))
        .map(([t1, t2]) =>
          scenario(`transact then ${forged.map(([n, d]) => `${d}@${n}`).join(',')}`, [
            step(coordinator.name, '/dtx.v1.Coordinator/Transact', t1),
            ...forged.map(([n, d]) => decide(n, id, d)),
            step(coordinator.name, '/dtx.v1.Coordinator/GetTransaction', { txnId: id }),
            step(coordinator.name, '/dtx.v1.Coordinator/Transact', retry ? t1 : t2),
          ]),
        ),
    );

  // The outcome asked first (an abort tombstone), then the id used.
  const inquireFirst = fc
    .tuple(p.madeUpId, pName, fc.boolean())
    .chain(([id, node, abort]) =>
      fc
        .tuple(transact(id), prepare(id, [node]))
        .map(([t, prep]) =>
          scenario('GetTransaction first, then the id used', [
            step(coordinator.name, '/dtx.v1.Coordinator/GetTransaction', { txnId: id }),
            step(coordinator.name, '/dtx.v1.Coordinator/Transact', t),
            step(node, '/dtx.v1.Participant/GetTxnState', { txnId: id, abortIfUnvoted: abort }),
            step(node, '/dtx.v1.Participant/Prepare', prep),
            step(node, '/dtx.v1.Participant/Commit', { txnId: id }),
          ]),
        ),
    );

  // Termination probes against the bank's real in-flight transfers (allowed: a terminator does exactly this).
  const terminationProbe = fc
    .tuple(
      fc.nat(3),
      fc.subarray(
        s.participantNodes.map((n) => n.name),
        { minLength: 1 },
      ),
      fc.boolean(),
    )
    .map(([back, names, abort]) => {
      // The id is read when the step is sent: one of the transfers in flight at that moment.
      const id = (): string => `${c.transferPrefix}${Math.max(0, c.latestTransfer() - back)}`;
      const live = (node: string, path: string, obj: () => Obj): Step => ({ node, path, frames: () => [o.schema.method(path).encodeRequest(obj())] });
      return scenario('termination probe of an in-flight transfer', [
        ...names.map((n) => live(n, '/dtx.v1.Participant/GetTxnState', () => ({ txnId: id(), abortIfUnvoted: abort }))),
        live(coordinator.name, '/dtx.v1.Coordinator/GetTransaction', () => ({ txnId: id() })),
      ]);
    });

  const locks = locksScenario(o, s);

  const exchange = fc
    .tuple(
      pName,
      fc.array(p.madeUpId, { minLength: 1, maxLength: 3 }),
      fc.integer({ min: 1, max: 5 }),
      fc.option(fc.integer({ min: 0, max: 300 }), { freq: 3 }),
    )
    .chain(([node, ids, nFrames, cancel]) => {
      const item = fc.oneof(
        fc.constantFrom(...ids).chain((id) => prepare(id, [node]).map((pr) => ({ prepares: [pr] }))),
        fc
          .tuple(fc.constantFrom(...ids), fc.boolean(), fc.boolean())
          .map(([txnId, commit, releaseReadOnly]) => ({ decisions: [{ txnId, commit, releaseReadOnly }] })),
        fc.constant({}),
      );
      return fc
        .array(item, { minLength: nFrames, maxLength: nFrames })
        .map((frames) => scenario(`Exchange stream of ${frames.length} batches`, [step(node, '/dtx.v1.Participant/Exchange', frames, cancel ?? undefined)]));
    });

  const transactStream = fc
    .tuple(fc.array(p.txnId, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 8 }), fc.option(fc.integer({ min: 0, max: 300 }), { freq: 3 }))
    .chain(([ids, n, cancel]) =>
      fc
        .array(
          fc.constantFrom(...ids).chain((id) => transact(id)),
          { minLength: n, maxLength: n },
        )
        .map((frames) =>
          scenario(`TransactStream of ${frames.length}`, [step(coordinator.name, '/dtx.v1.Coordinator/TransactStream', frames, cancel ?? undefined)]),
        ),
    );

  const admin = fc
    .tuple(
      anyNode,
      fc.oneof(
        fc.constant(['/dtx.v1.Admin/Status', {}] as const),
        fc.constantFrom(...Object.keys(FAILPOINTS)).map((name) => ['/dtx.v1.Admin/SetFailpoint', { name, action: 'off' }] as const),
        fc.constantFrom('nope', '', 'toString').map((name) => ['/dtx.v1.Admin/SetFailpoint', { name, action: 'kill' }] as const),
        fc.constant(['/dtx.v1.Admin/SetNetworkFaults', { links: [] }] as const),
        fc
          .constantFrom<Obj[]>(
            [{ from: 'c1', to: 'c1', blocked: true }],
            [{ from: '', to: 'p1', blocked: true }],
            [{ from: 'c1', to: 'p1', dropRate: 1.5 }],
            [{ from: 'c1', to: 'p1', duplicateRate: NaN }],
            [{ from: 'c1', to: 'p1', delayMs: 60_001 }],
            [
              { from: 'c1', to: 'p1', blocked: true },
              { from: 'p1', to: 'p1' },
            ],
          )
          .map((links) => ['/dtx.v1.Admin/SetNetworkFaults', { links }] as const),
        fc
          .constantFrom('0', '86400001', '-86400001', '9223372036854775807', '-9223372036854775808', '9007199254740993')
          .map((offsetMs) => ['/dtx.v1.Admin/SetClockOffset', { offsetMs }] as const),
      ),
    )
    .map(([node, [path, obj]]) => scenario(`admin ${path.split('/')[2]}`, [step(node, path, obj)]));

  const read = fc
    .tuple(
      fc.oneof(
        fc.array(fc.oneof(p.key, fc.constantFrom(...c.accountKeys)), { maxLength: 6 }),
        fc.constant(Array.from({ length: 1001 }, (_, i) => `wfz-k:${i}`)),
        fc.constant(c.accountKeys.concat(c.accountKeys)),
      ),
      fc.constantFrom(0, 1, 100, 3000, 120_001),
    )
    .map(([keys, timeoutMs]) => scenario('Read', [step(coordinator.name, '/dtx.v1.Coordinator/Read', { keys, timeoutMs })]));

  const healthAndReflection = fc
    .tuple(anyNode, fc.constantFrom('', 'dtx.v1.Coordinator', 'dtx.v1.Participant', 'nope'), fc.constantFrom('v1', 'v1alpha'))
    .map(([node, service, v]) =>
      scenario('health and reflection', [
        step(node, '/grpc.health.v1.Health/Check', { service }),
        step(node, '/grpc.health.v1.Health/Watch', { service }, 100),
        step(node, '/grpc.health.v1.Health/List', {}),
        step(node, `/grpc.reflection.${v}.ServerReflection/ServerReflectionInfo`, [
          { listServices: '*' },
          { fileContainingSymbol: 'dtx.v1.Coordinator' },
          { fileByFilename: 'dtx/v1/participant.proto' },
          { allExtensionNumbersOfType: 'dtx.v1.Op' },
          { fileContainingExtension: { containingType: 'dtx.v1.Op', extensionNumber: 99 } },
        ]),
      ]),
    );

  return fc.oneof(
    { weight: 5, arbitrary: outOfOrder },
    { weight: 6, arbitrary: prepareThenDecide },
    { weight: 4, arbitrary: transactThenForge },
    { weight: 2, arbitrary: inquireFirst },
    { weight: 3, arbitrary: terminationProbe },
    { weight: 3, arbitrary: locks },
    { weight: 3, arbitrary: exchange },
    { weight: 3, arbitrary: transactStream },
    { weight: 2, arbitrary: admin },
    { weight: 2, arbitrary: read },
    { weight: 1, arbitrary: healthAndReflection },
  );
}

interface LeaseLike {
  leaseId?: string;
  fencingToken?: string;
}

/** Acquire, then keep-alives, releases and fenced writes with the real lease and forged ones. */
function locksScenario(o: ArbOptions, s: ReturnType<typeof scenarioParts>): fc.Arbitrary<Action> {
  const { p, coordinator, step } = s;
  const acquire = o.schema.method('/dtx.v1.Locks/Acquire');
  const enc = (path: string, obj: Obj): Buffer => o.schema.method(path).encodeRequest(obj);
  return fc
    .tuple(
      fc.record({
        name: p.lockName,
        owner: fc.constantFrom('wfz', '', 'o'.repeat(257)),
        ttlMs: fc.constantFrom(0, 99, 100, 1000, 120_000, 120_001, 4294967295),
        waitMs: fc.constantFrom(0, 10, 200, 120_001, 4294967295),
      }),
      fc.array(fc.constantFrom('KeepAlive', 'Release', 'Describe', 'List', 'Fenced'), { minLength: 1, maxLength: 5 }),
      fc.constantFrom('real', 'forged', 'empty'),
      fc.constantFrom('0', '-1', '+1', '9223372036854775807', '-9223372036854775808', '9223372036854775808'),
      p.key,
    )
    .map(([acq, seq, which, tokenShift, key]) => {
      const lease = (earlier: CallOutcome[]): LeaseLike => {
        const first = earlier[0];
        if (!first || first.code !== grpc.status.OK || !first.responses[0]) return {};
        try {
          return acquire.decodeResponse(first.responses[0]) as LeaseLike;
        } catch {
          return {};
        }
      };
      const leaseId = (earlier: CallOutcome[]): string =>
        which === 'real' ? (lease(earlier).leaseId ?? '') : which === 'forged' ? '00000000-0000-0000-0000-000000000000' : '';
      const token = (earlier: CallOutcome[]): string => {
        const t = BigInt(lease(earlier).fencingToken ?? '0');
        return tokenShift === '-1' ? String(t - 1n) : tokenShift === '+1' ? String(t + 1n) : tokenShift === '0' ? String(t) : tokenShift;
      };
      const dynamic = (path: string, make: (earlier: CallOutcome[]) => Obj): Step => ({
        node: coordinator.name,
        path,
        frames: (earlier) => [enc(path, make(earlier))],
      });
      const steps: Step[] = [
        step(coordinator.name, '/dtx.v1.Locks/Acquire', acq),
        ...seq.map((k) => {
          switch (k) {
            case 'KeepAlive':
              return dynamic('/dtx.v1.Locks/KeepAlive', (e) => ({ leaseId: leaseId(e) }));
            case 'Release':
              return dynamic('/dtx.v1.Locks/Release', (e) => ({ leaseId: leaseId(e) }));
            case 'Describe':
              return step(coordinator.name, '/dtx.v1.Locks/Describe', { name: acq.name });
            case 'List':
              return step(coordinator.name, '/dtx.v1.Locks/List', { prefix: acq.name.slice(0, 5), limit: 3 });
            default:
              return dynamic('/dtx.v1.Coordinator/Transact', (e) => ({ ops: [{ key, put: { value: 'fenced' }, fence: { lock: acq.name, token: token(e) } }] }));
          }
        }),
      ];
      return { family: 'scenario' as const, name: `locks: acquire then ${seq.join(',')} (${which} lease)`, steps };
    });
}

// ---------------------------------------------------------------------------------------------
// What the fuzzer must not send

interface FailpointReq {
  name?: string;
  action?: string;
}
interface NetworkFaultsReq {
  links?: Partial<LinkFault>[];
}
interface ClockOffsetReq {
  offsetMs?: string;
}

/**
 * Why this payload must not be sent, or null. A VALID Admin.SetFailpoint kill, network-fault table
 * or clock offset is a legitimate command that breaks the cluster on purpose; the fuzzer sends only
 * the malformed or harmless ones (decoded here exactly as the node will decode them). Valid ones
 * that do no harm (action "off", an empty table, offset 0) are allowed.
 */
export function refusedToSend(ctx: FuzzContext, m: RpcMethod, payload: Buffer): string | null {
  if (m.path !== '/dtx.v1.Coordinator/Read' && payload.includes(ctx.accountPrefix)) return 'names a bank account';
  if (!TRANSFER_ID_METHODS.has(m.path) && payload.includes(ctx.transferPrefix)) return 'names a real in-flight transfer';
  if (!m.path.startsWith('/dtx.v1.Admin/Set')) return null;
  let decoded: unknown;
  try {
    decoded = m.decodeRequest(payload);
  } catch {
    return null; // the node refuses it as well
  }
  switch (m.path) {
    case '/dtx.v1.Admin/SetFailpoint': {
      const r = decoded as FailpointReq;
      return r.action === 'kill' && Object.hasOwn(FAILPOINTS, r.name ?? '') ? `arms failpoint ${r.name}` : null;
    }
    case '/dtx.v1.Admin/SetNetworkFaults': {
      const links = (decoded as NetworkFaultsReq).links ?? [];
      if (links.length === 0) return null;
      try {
        new NetworkFaults('wire-fuzz').replace(links as LinkFault[]);
      } catch {
        return null;
      }
      return `a valid network-fault table of ${links.length} links`;
    }
    case '/dtx.v1.Admin/SetClockOffset': {
      const offset = Number((decoded as ClockOffsetReq).offsetMs);
      return Number.isSafeInteger(offset) && Math.abs(offset) <= 24 * 3_600_000 && offset !== 0 ? `a valid clock offset of ${offset} ms` : null;
    }
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------------
// How long a node may legitimately take

interface TimeoutReq {
  timeoutMs?: number;
}
interface PrepareReq {
  lockWaitMs?: number;
}
interface AcquireReq {
  waitMs?: number;
}

/**
 * How long the node may legitimately keep this request before answering: what the request asked
 * for (a transaction's timeout, a lock wait). A call that outlives the client's deadline although
 * the request asked for much less is a hang. Undecodable requests must be answered at once.
 */
export function allowedWaitMs(m: RpcMethod, frames: Buffer[], defaultTxnTimeoutMs: number): number {
  const decode = <T>(b: Buffer): T | null => {
    try {
      return m.decodeRequest(b) as T;
    } catch {
      return null;
    }
  };
  const each = (f: (b: Buffer) => number): number => Math.max(0, ...frames.map(f));
  switch (m.path) {
    case '/dtx.v1.Coordinator/Transact':
    case '/dtx.v1.Coordinator/TransactStream':
    case '/dtx.v1.Coordinator/Read':
      return each((b) => {
        const t = decode<TimeoutReq>(b)?.timeoutMs ?? 0;
        return t > 120_000 ? 0 : t || defaultTxnTimeoutMs;
      });
    case '/dtx.v1.Participant/Prepare':
      return each((b) => Math.min(decode<PrepareReq>(b)?.lockWaitMs ?? 0, 60_000));
    case '/dtx.v1.Locks/Acquire':
      return each((b) => {
        const w = decode<AcquireReq>(b)?.waitMs ?? 0;
        return w > 120_000 ? 0 : w;
      });
    case '/dtx.v1.Coordinator/GetTransaction':
      // asks every participant (2 s each, in parallel) when it has no record
      return 3000;
    default:
      return 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Calls

const identity = (b: Buffer): Buffer => b;
const CLIENT_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': 64 << 20,
  'grpc.max_send_message_length': 64 << 20,
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 500,
  'grpc.enable_retries': 0,
  // Connections of our own: a call that wedges one (see reset) must not stall anyone else's.
  'grpc.use_local_subchannel_pool': 1,
};
/** How long after its deadline a call may still end before it counts as hung. */
export const HANG_GRACE_MS = 5000;

/** Raw gRPC calls: payloads go on the wire as given, answers come back as bytes. */
export class RawCaller {
  private readonly clients = new Map<string, grpc.Client>();
  private readonly connections = new Map<string, number>();

  constructor(private readonly addressOf: (node: string) => string) {}

  call(node: string, m: RpcMethod, frames: Buffer[], deadlineMs: number, cancelAfterMs?: number): Promise<CallOutcome> {
    const client = this.client(node);
    const connection = this.connections.get(node) ?? 0;
    const started = Date.now();
    const deadline = started + deadlineMs;
    return new Promise<CallOutcome>((resolve) => {
      const responses: Buffer[] = [];
      let finished = false;
      let cancel: () => void = () => undefined;
      const finish = (code: grpc.status, details: string, hung = false): void => {
        if (finished) return;
        finished = true;
        clearTimeout(watchdog);
        if (hung) cancel();
        const ms = Date.now() - started;
        const localDeadline = code === grpc.status.DEADLINE_EXCEEDED && ms >= deadlineMs - 50;
        resolve({ code, details, ms, responses, localDeadline, hung, connection });
      };
      const watchdog = setTimeout(() => finish(grpc.status.UNKNOWN, 'no status and no response by the deadline', true), deadlineMs + HANG_GRACE_MS);
      const onStatus = (s: grpc.StatusObject): void => finish(s.code, s.details);
      const onUnary = (err: grpc.ServiceError | null, res?: Buffer): void => {
        if (res) responses.push(res);
        finish(err ? err.code : grpc.status.OK, err ? err.details : '');
      };
      const opts: grpc.CallOptions = { deadline };
      const write = (c: grpc.ClientWritableStream<Buffer>): void => {
        c.on('error', () => undefined);
        for (const f of frames) c.write(f);
        if (cancelAfterMs === undefined) c.end();
        else setTimeout(() => c.cancel(), cancelAfterMs).unref();
      };
      switch (m.kind) {
        case 'unary': {
          const c = client.makeUnaryRequest(m.path, identity, identity, frames[0] ?? Buffer.alloc(0), new grpc.Metadata(), opts, onUnary);
          cancel = () => c.cancel();
          return;
        }
        case 'serverStream': {
          const c = client.makeServerStreamRequest(m.path, identity, identity, frames[0] ?? Buffer.alloc(0), new grpc.Metadata(), opts);
          cancel = () => c.cancel();
          c.on('data', (b: Buffer) => {
            responses.push(b);
            c.cancel(); // a watch answers, then streams forever: one answer is enough
          });
          c.on('error', () => undefined);
          c.on('status', onStatus);
          setTimeout(() => c.cancel(), cancelAfterMs ?? 150).unref();
          return;
        }
        case 'bidi': {
          const c = client.makeBidiStreamRequest(m.path, identity, identity, new grpc.Metadata(), opts);
          cancel = () => c.cancel();
          c.on('data', (b: Buffer) => responses.push(b));
          c.on('status', onStatus);
          write(c);
          return;
        }
        case 'clientStream': {
          const c = client.makeClientStreamRequest(m.path, identity, identity, new grpc.Metadata(), opts, onUnary);
          cancel = () => c.cancel();
          write(c);
          return;
        }
      }
    });
  }

  /** A new connection to the node: after a call went unanswered, the old one may be wedged for every later call. */
  reset(node: string): void {
    this.clients.get(node)?.close();
    this.clients.delete(node);
    this.connections.set(node, (this.connections.get(node) ?? 0) + 1);
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }

  private client(node: string): grpc.Client {
    let c = this.clients.get(node);
    if (!c) {
      c = new grpc.Client(this.addressOf(node), grpc.credentials.createInsecure(), CLIENT_OPTIONS);
      this.clients.set(node, c);
    }
    return c;
  }
}

// ---------------------------------------------------------------------------------------------
// Reports

/** A payload for a human: size, leading bytes, and what the node makes of it. */
export function describePayload(m: RpcMethod, payload: Buffer): string {
  let decoded: string;
  try {
    decoded = JSON.stringify(m.decodeRequest(payload), (_k, v: unknown) => {
      if (typeof v === 'string' && v.length > 60) return `<${v.length} chars: ${JSON.stringify(v.slice(0, 24))}…>`;
      if (Array.isArray(v) && v.length > 6) return [...(v.slice(0, 6) as unknown[]), `… ${v.length - 6} more`];
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        // defaults: true fills in every absent field; leave the empty ones out
        return Object.fromEntries(
          Object.entries(v as Obj).filter(([, x]) => !(x === '' || x === '0' || x === 0 || x === false || x === null || (Array.isArray(x) && x.length === 0))),
        );
      }
      return v;
    });
  } catch (err) {
    decoded = `undecodable (${(err as Error).message})`;
  }
  const hex = payload.subarray(0, 48).toString('hex');
  return `${payload.length} bytes [${hex}${payload.length > 48 ? '…' : ''}] = ${decoded}`;
}

/** The same crash, whatever the transaction, key or number. */
export function crashSignature(fatal: string): string {
  return fatal
    .replace(/txn \S+/g, 'txn <id>')
    .replace(/participant p\d+/g, 'participant <p>')
    .replace(/"[^"]*"/g, '"…"')
    .replace(/\d+/g, 'N')
    .slice(0, 300);
}
