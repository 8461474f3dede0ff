import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Fence } from '../../src/protocol/types.js';
import { claimedAge, MAX_CLAIMED_AGE_MS } from '../../src/protocol/types.js';
import { evaluateOps, validateOps } from '../../src/protocol/ops.js';
import { LIMITS } from '../../src/protocol/limits.js';
import { AccessControl } from '../../src/rpc/access.js';
import { FenceKey } from '../../src/rpc/fenceProof.js';
import { rolesFor } from '../../src/rpc/roles.js';
import { TokenTable } from '../../src/rpc/tokens.js';

const silent = pino({ level: 'silent' });
const bearer = (token: string) => {
  const m = new grpc.Metadata();
  m.set('authorization', `Bearer ${token}`);
  return m;
};

describe('roles', () => {
  it('maps every method to the roles that may call it; unknown paths to nobody', () => {
    expect(rolesFor('/dtx.v1.Coordinator/Transact')).toEqual(['client', 'node']);
    expect(rolesFor('/dtx.v1.Coordinator/GetTransaction')).toEqual(['client', 'node']);
    expect(rolesFor('/dtx.v1.Locks/Acquire')).toEqual(['client', 'node']);
    expect(rolesFor('/dtx.v1.Participant/Commit')).toEqual(['node']);
    expect(rolesFor('/dtx.v1.Admin/Status')).toEqual(['admin']);
    expect(rolesFor('/dtx.v1.Admin/SetFailpoint')).toEqual(['faults']);
    expect(rolesFor('/grpc.health.v1.Health/Check')).toBeNull();
    expect(rolesFor('/dtx.v9.Secret/Thing')).toEqual([]);
    expect(rolesFor('garbage')).toEqual([]);
  });
});

describe('tokens', () => {
  const file = `# comment\nalice client,admin alice-token-0123456789\nnodes node sha256:${'a'.repeat(64)}\n`;

  it('looks tokens up by digest, and accepts a sha256: digest in the file', () => {
    const t = TokenTable.parse(file);
    expect(t.size).toBe(2);
    expect(t.lookup('alice-token-0123456789')).toEqual({ name: 'alice', roles: ['client', 'admin'] });
    expect(t.lookup('alice-token-012345678')).toBeNull();
  });

  it('refuses a bad file with the line and what is wrong', () => {
    expect(() => TokenTable.parse('alice client short')).toThrow(/line 1: the token of alice is shorter than 16/);
    expect(() => TokenTable.parse('alice root alice-token-0123456789')).toThrow(/line 1: unknown role "root"/);
    expect(() => TokenTable.parse('alice client')).toThrow(/line 1: expected "<name> <roles> <token>"/);
    expect(() => TokenTable.parse('a client same-token-0123456789\nb admin same-token-0123456789')).toThrow(/line 2: .* already given to a/);
    expect(() => TokenTable.parse('# nothing\n')).toThrow(/holds no token/);
  });

  it('access control: open without TLS and tokens; otherwise the method needs one of its roles', () => {
    const open = new AccessControl({ tls: null, tokens: null }, silent);
    expect(open.decide('/dtx.v1.Admin/SetFailpoint', new grpc.Metadata(), null)).toMatchObject({ ok: true });
    const ac = new AccessControl({ tls: null, tokens: TokenTable.parse(file) }, silent);
    expect(ac.decide('/grpc.health.v1.Health/Check', new grpc.Metadata(), null)).toMatchObject({ ok: true });
    expect(ac.decide('/dtx.v1.Admin/Status', bearer('alice-token-0123456789'), null)).toMatchObject({ ok: true });
    expect(ac.decide('/dtx.v1.Participant/Commit', bearer('alice-token-0123456789'), null)).toMatchObject({
      ok: false,
      code: grpc.status.PERMISSION_DENIED,
      details: expect.stringMatching(/token alice has role\(s\) client,admin; this call needs node/),
    });
    expect(ac.decide('/dtx.v1.Admin/Status', new grpc.Metadata(), null)).toMatchObject({ ok: false, code: grpc.status.UNAUTHENTICATED });
    expect(ac.decide('/dtx.v1.Admin/Status', bearer('nope-nope-nope-nope'), null)).toMatchObject({ ok: false, code: grpc.status.UNAUTHENTICATED });
    const m = new grpc.Metadata();
    m.set('authorization', 'Basic abc');
    expect(ac.decide('/dtx.v1.Admin/Status', m, null)).toMatchObject({ ok: false, code: grpc.status.UNAUTHENTICATED });
  });
});

describe('fence proofs', () => {
  const key = FenceKey.fromBytes(Buffer.from('a cluster secret of enough bytes'));
  const fence = (token: bigint, proof?: string): Fence => ({ lock: 'L', token, ...(proof !== undefined ? { proof } : {}) });

  it('verifies only the proof the key made for that lock and token', () => {
    const proof = key.sign('L', 7n);
    expect(key.verify(fence(7n, proof))).toBe(true);
    expect(key.verify(fence(8n, proof))).toBe(false);
    expect(key.verify({ lock: 'M', token: 7n, proof })).toBe(false);
    expect(key.verify(fence(7n))).toBe(false);
    expect(key.verify(fence(7n, proof.toUpperCase()))).toBe(false);
    expect(FenceKey.fromBytes(Buffer.from('another secret of enough bytes')).verify(fence(7n, proof))).toBe(false);
    expect(() => FenceKey.fromBytes(Buffer.from('short'))).toThrow(/at least 16 bytes/);
  });

  it('a forged fence votes NO with PRECONDITION_FAILED and writes nothing, not even the high-water mark', () => {
    const check = (f: Fence) => key.verify(f);
    const ev = evaluateOps([{ type: 'put', key: 'k', value: 'v', fence: fence(2n ** 63n - 1n, 'ab'.repeat(32)) }], new Map(), check);
    expect(ev).toMatchObject({ ok: false, code: 'PRECONDITION_FAILED', reason: expect.stringMatching(/was not issued by this cluster's lock service/) });
    const ok = evaluateOps([{ type: 'put', key: 'k', value: 'v', fence: fence(3n, key.sign('L', 3n)) }], new Map(), check);
    expect(ok.ok && ok.writes.map((w) => w.key)).toEqual(['f!L', 'k']);
  });
});

describe('limits', () => {
  it('a client may date its first attempt back at most MAX_CLAIMED_AGE_MS, never into the future', () => {
    const now = 1_000_000_000;
    expect(claimedAge(0, now)).toBe(now);
    expect(claimedAge(now + 5000, now)).toBe(now);
    expect(claimedAge(now - 1000, now)).toBe(now - 1000);
    expect(claimedAge(1, now)).toBe(now - MAX_CLAIMED_AGE_MS);
    expect(claimedAge(Number.NaN, now)).toBe(now);
  });

  it('a transaction over maxTxnBytes is refused naming the limit', () => {
    const value = 'v'.repeat(LIMITS.maxValueBytes);
    const ops = Array.from({ length: 16 }, (_, i) => ({ type: 'put' as const, key: `k${i}`, value }));
    expect(() => validateOps(ops)).toThrow(/keys and values are 16777254 bytes \(the limit, maxTxnBytes, is 16777216\)/);
    expect(() => validateOps(ops.slice(0, 15))).not.toThrow();
  });
});
