// @peculiar/x509 (used directly here to craft hostile certificates) needs this polyfill loaded before it.
import 'reflect-metadata';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import * as x509 from '@peculiar/x509';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { certsCommand } from '../../src/cli/certsCommand.js';
import { makeCa, makeClientCert, makeNodeCert, type CertAndKey } from '../../src/rpc/certificates.js';
import { CaVerifier, channelCredentials, loadTls, peerIdentity, serverCredentials, type PeerIdentity, type TlsMaterial } from '../../src/rpc/credentials.js';

// Certificates made in memory once; real grpc-js servers on 127.0.0.1 ports the OS picks.
let ca: CertAndKey;
let otherCa: CertAndKey;
let p1: CertAndKey;
let p2: CertAndKey;
let alice: CertAndKey;
let ops: CertAndKey;
let mallory: CertAndKey; // signed by the other CA
let verifier: CaVerifier;

beforeAll(async () => {
  [ca, otherCa] = await Promise.all([makeCa(), makeCa({ name: 'some other CA' })]);
  [p1, p2, alice, ops, mallory] = await Promise.all([
    makeNodeCert(ca, 'p1'),
    makeNodeCert(ca, 'p2'),
    makeClientCert(ca, 'alice', ['client']),
    makeClientCert(ca, 'ops@example.com', ['client', 'admin', 'faults']),
    makeClientCert(otherCa, 'mallory', ['client', 'admin']),
  ]);
  verifier = new CaVerifier(ca.cert);
});

const material = (trust: CertAndKey, own?: CertAndKey): TlsMaterial => ({
  ca: Buffer.from(trust.cert),
  ...(own ? { cert: Buffer.from(own.cert), key: Buffer.from(own.key) } : {}),
});
const der = (pair: CertAndKey): Buffer => new X509Certificate(pair.cert).raw;

/** Rejects after `ms`: every wait in this file is bounded. */
function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** A certificate signed by `issuer` with any subject and usages, bypassing certificates.ts's checks (for hostile cases). */
async function craft(issuer: CertAndKey, subject: x509.JsonName, usages: string[]): Promise<Buffer> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await crypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const caCert = new x509.X509Certificate(issuer.cert);
  const pkcs8 = createPrivateKey(issuer.key).export({ type: 'pkcs8', format: 'der' });
  const signingKey = await crypto.subtle.importKey('pkcs8', pkcs8, alg, false, ['sign']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '0badc0de',
    subject,
    issuer: caCert.subjectName,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    publicKey: keys.publicKey,
    signingKey,
    signingAlgorithm: alg,
    extensions: [new x509.BasicConstraintsExtension(false), new x509.ExtendedKeyUsageExtension(usages)],
  });
  return Buffer.from(cert.rawData);
}

describe('certificates.ts: the CA, node and client certificates', () => {
  it('makes a self-signed ECDSA P-256 CA valid for 10 years', () => {
    const c = new X509Certificate(ca.cert);
    expect(c.ca).toBe(true);
    expect(c.subject).toBe('CN=dtx cluster CA');
    expect(c.checkIssued(c)).toBe(true);
    expect(c.verify(c.publicKey)).toBe(true);
    expect(c.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const days = (Date.parse(c.validTo) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(3649);
    expect(days).toBeLessThan(3651);
    expect(c.checkPrivateKey(createPrivateKey(ca.key))).toBe(true);
    expect(ca.key).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });

  it('makes a node certificate: OU=node, CN=<id>, loopback SANs, server and client use, signed by the CA', () => {
    const c = new X509Certificate(p1.cert);
    const root = new X509Certificate(ca.cert);
    expect(c.subject).toBe('OU=node\nCN=p1');
    expect(c.issuer).toBe(root.subject);
    expect(c.ca).toBe(false);
    expect(c.checkIssued(root)).toBe(true);
    expect(c.verify(root.publicKey)).toBe(true);
    expect(c.subjectAltName).toBe('IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:localhost');
    expect(c.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(c.checkIP('::1')).toBe('::1');
    expect(c.checkHost('localhost')).toBe('localhost');
    expect(c.checkHost('p1.example')).toBeUndefined();
    expect(c.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect(c.checkPrivateKey(createPrivateKey(p1.key))).toBe(true);
    expect(c.checkPrivateKey(createPrivateKey(p2.key))).toBe(false);
    const days = (Date.parse(c.validTo) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(364);
    expect(days).toBeLessThan(366);
  });

  it('puts the given hosts in the SANs (IPv4, bracketed IPv6, DNS names) and nothing else', async () => {
    const c = new X509Certificate((await makeNodeCert(ca, 'c1', { hosts: ['10.0.0.11', '[fd00::1]', 'C1.dtx.internal'], days: 30 })).cert);
    expect(c.subject).toBe('OU=node\nCN=c1');
    expect(c.checkIP('10.0.0.11')).toBe('10.0.0.11');
    expect(c.checkIP('fd00::1')).toBe('fd00::1');
    expect(c.checkHost('c1.dtx.internal')).toBe('c1.dtx.internal');
    expect(c.checkHost('localhost')).toBeUndefined();
    expect(c.checkIP('127.0.0.1')).toBeUndefined();
    expect((Date.parse(c.validTo) - Date.now()) / 86_400_000).toBeLessThan(31);
  });

  it('makes a client certificate: CN=<name>, one OU per role, client use only, no SANs', () => {
    const c = new X509Certificate(ops.cert);
    expect(c.subject).toBe('OU=client\nOU=admin\nOU=faults\nCN=ops@example.com');
    expect(c.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(c.subjectAltName).toBeUndefined();
    expect(c.checkIssued(new X509Certificate(ca.cert))).toBe(true);
  });

  it('a certificate from another CA is not issued by ours', () => {
    const c = new X509Certificate(mallory.cert);
    const root = new X509Certificate(ca.cert);
    expect(c.checkIssued(root)).toBe(false);
    expect(c.verify(root.publicKey)).toBe(false);
  });

  it('gives every certificate its own positive serial number', () => {
    const serials = [ca, p1, p2, alice, ops].map((p) => new X509Certificate(p.cert).serialNumber);
    expect(new Set(serials).size).toBe(5);
    for (const s of serials) expect(parseInt(s.slice(0, 2), 16)).toBeLessThan(0x80);
  });

  it('refuses bad input with a readable error', async () => {
    await expect(makeNodeCert(ca, '1p')).rejects.toThrow(/node ids start with a letter/);
    await expect(makeNodeCert(ca, 'p1', { hosts: ['not a host!'] })).rejects.toThrow(/'not a host!' is neither an IP address nor a DNS name/);
    await expect(makeNodeCert(ca, 'p1', { hosts: [] })).rejects.toThrow(/at least one host/);
    await expect(makeNodeCert(ca, 'p1', { days: 0 })).rejects.toThrow(/1\.\.36500 days/);
    await expect(makeClientCert(ca, 'eve', ['node'])).rejects.toThrow(/'node' is not a client role/);
    await expect(makeClientCert(ca, 'eve', ['Admin'])).rejects.toThrow(/role names/);
    await expect(makeClientCert(ca, 'eve', [])).rejects.toThrow(/at least one role/);
    await expect(makeClientCert(ca, 'eve smith', ['client'])).rejects.toThrow(/client names/);
    await expect(makeNodeCert({ cert: ca.cert, key: otherCa.key }, 'p1')).rejects.toThrow(/CA key does not belong to the CA certificate/);
    await expect(makeNodeCert({ cert: p1.cert, key: p1.key }, 'p9')).rejects.toThrow(/is not a CA certificate/);
    await expect(makeNodeCert({ cert: 'nonsense', key: ca.key }, 'p9')).rejects.toThrow(/not a readable PEM certificate/);
  });
});

describe('loadTls', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dtx-tls-'));
    const files: Record<string, string> = {
      'ca.pem': ca.cert,
      'p1.pem': p1.cert,
      'p1-key.pem': p1.key,
      'p2-key.pem': p2.key,
      'mallory.pem': mallory.cert,
      'mallory-key.pem': mallory.key,
      'junk.pem': 'hello\n',
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const f = (name: string): string => join(dir, name);

  it('reads the CA, our certificate and key', () => {
    const m = loadTls({ ca: f('ca.pem'), cert: f('p1.pem'), key: f('p1-key.pem') });
    expect(m.ca.toString()).toBe(ca.cert);
    expect(m.cert?.toString()).toBe(p1.cert);
    expect(m.key?.toString()).toBe(p1.key);
    expect(loadTls({ ca: f('ca.pem') })).toEqual({ ca: Buffer.from(ca.cert) });
  });

  it('names the file that is missing, not PEM, or does not fit', () => {
    expect(() => loadTls({ ca: f('nope.pem') })).toThrow(`TLS ca file ${f('nope.pem')} does not exist`);
    expect(() => loadTls({ ca: f('junk.pem') })).toThrow(`TLS ca file ${f('junk.pem')} is not a PEM CA certificate`);
    expect(() => loadTls({ ca: f('p1.pem') })).toThrow(`TLS ca file ${f('p1.pem')} holds a certificate that is not a CA`);
    expect(() => loadTls({ ca: f('ca.pem'), cert: f('p1.pem'), key: f('junk.pem') })).toThrow(`TLS key file ${f('junk.pem')} is not a PEM private key`);
    expect(() => loadTls({ ca: f('ca.pem'), cert: f('junk.pem'), key: f('p1-key.pem') })).toThrow(`TLS cert file ${f('junk.pem')} is not a PEM certificate`);
    expect(() => loadTls({ ca: f('ca.pem'), cert: f('p1.pem'), key: f('p2-key.pem') })).toThrow(
      `TLS key file ${f('p2-key.pem')} does not belong to the certificate in ${f('p1.pem')}`,
    );
    expect(() => loadTls({ ca: f('ca.pem'), cert: f('mallory.pem'), key: f('mallory-key.pem') })).toThrow(
      `TLS cert file ${f('mallory.pem')} is not signed by the CA in ${f('ca.pem')}`,
    );
    expect(() => loadTls({ ca: f('ca.pem'), cert: f('p1.pem') })).toThrow(`TLS cert file ${f('p1.pem')} given without its key`);
    expect(() => loadTls({ ca: dir })).toThrow(`TLS ca file ${dir} cannot be read (EISDIR)`);
  });

  it('refuses an expired certificate', async () => {
    const old = await makeNodeCert(ca, 'p1', { now: new Date(Date.now() - 3 * 86_400_000), days: 1 });
    writeFileSync(f('old.pem'), old.cert);
    writeFileSync(f('old-key.pem'), old.key);
    expect(() => loadTls({ ca: f('ca.pem'), cert: f('old.pem'), key: f('old-key.pem') })).toThrow(`TLS cert file ${f('old.pem')} is not valid now`);
  });
});

describe('CaVerifier and peerIdentity', () => {
  const asPeer = (raw: Buffer): tls.PeerCertificate => ({ raw }) as tls.PeerCertificate;

  it('names a node, or a user with the roles its OUs grant', () => {
    expect(peerIdentity(asPeer(der(p1)), verifier)).toEqual({ kind: 'node', id: 'p1' });
    expect(peerIdentity(asPeer(der(alice)), verifier)).toEqual({ kind: 'user', name: 'alice', roles: ['client'] });
    expect(peerIdentity(asPeer(der(ops)), verifier)).toEqual({ kind: 'user', name: 'ops@example.com', roles: ['client', 'admin', 'faults'] });
  });

  it('grants nothing without a certificate, for another CA, for a CA certificate, or outside the validity dates', async () => {
    expect(peerIdentity(undefined, verifier)).toBeNull();
    expect(peerIdentity({} as tls.PeerCertificate, verifier)).toBeNull();
    expect(peerIdentity(asPeer(der(mallory)), verifier)).toBeNull();
    expect(peerIdentity(asPeer(der(ca)), verifier)).toBeNull();
    expect(peerIdentity(asPeer(Buffer.from('not DER')), verifier)).toBeNull();
    const expired = await makeClientCert(ca, 'alice', ['admin'], { now: new Date(Date.now() - 3 * 86_400_000), days: 1 });
    expect(peerIdentity(asPeer(der(expired)), verifier)).toBeNull();
    // The cached verdict still checks the dates: alice's certificate a day before it starts and two years on.
    const at = (ms: number): PeerIdentity | null => verifier.identify(der(alice), ms);
    expect(at(Date.now())).not.toBeNull();
    expect(at(Date.now() - 86_400_000)).toBeNull();
    expect(at(Date.now() + 2 * 365 * 86_400_000)).toBeNull();
  });

  it('a CA-signed certificate with an odd subject or usage grants nothing', async () => {
    const hostile: [x509.JsonName, string[]][] = [
      [[{ CN: ['mallory\nOU=admin'] }, { OU: ['client'] }], ['1.3.6.1.5.5.7.3.2']], // a newline in the CN
      [[{ CN: ['p1,OU=node'] }], ['1.3.6.1.5.5.7.3.2']], // a comma in the CN
      [[{ OU: ['node'] }, { OU: ['admin'] }, { CN: ['p1'] }], ['1.3.6.1.5.5.7.3.2']], // a node that claims a role too
      [[{ OU: ['node'] }, { CN: ['p1'] }, { CN: ['p2'] }], ['1.3.6.1.5.5.7.3.2']], // two names
      [[{ OU: ['node'] }, { CN: ['p1'] }], ['1.3.6.1.5.5.7.3.1']], // server use only
    ];
    for (const [subject, usages] of hostile) {
      expect(peerIdentity(asPeer(await craft(ca, subject, usages)), verifier), JSON.stringify(subject)).toBeNull();
    }
    // The same crafting with a plain subject is accepted: the refusals above are about the subject and usage.
    expect(peerIdentity(asPeer(await craft(ca, [{ OU: ['node'] }, { CN: ['p3'] }], ['1.3.6.1.5.5.7.3.2'])), verifier)).toEqual({ kind: 'node', id: 'p3' });
  });

  it('keeps at most maxEntries verdicts, and a caller cannot change a cached one', () => {
    const v = new CaVerifier(ca.cert, 2);
    for (const p of [p1, p2, alice, ops, mallory]) v.identify(der(p));
    expect(v.cached).toBe(2);
    const first = v.identify(der(ops));
    if (first?.kind !== 'user') throw new Error('expected a user');
    first.roles.push('root');
    expect(v.identify(der(ops))).toEqual({ kind: 'user', name: 'ops@example.com', roles: ['client', 'admin', 'faults'] });
  });

  it('accepts a CA bundle (two CAs during a rotation) and refuses a bundle holding a leaf', () => {
    const both = new CaVerifier(ca.cert + otherCa.cert);
    expect(peerIdentity(asPeer(der(mallory)), both)).toEqual({ kind: 'user', name: 'mallory', roles: ['client', 'admin'] });
    expect(peerIdentity(asPeer(der(alice)), both)).toEqual({ kind: 'user', name: 'alice', roles: ['client'] });
    expect(() => new CaVerifier(ca.cert + p1.cert)).toThrow(/not a CA/);
  });
});

// ---------------------------------------------------------------------------------------------
// Real gRPC servers

const raw = (b: Buffer): Buffer => b;
const SERVICE: grpc.ServiceDefinition = {
  Who: {
    path: '/dtxtest.Who/Who',
    requestStream: false,
    responseStream: false,
    requestSerialize: raw,
    requestDeserialize: raw,
    responseSerialize: raw,
    responseDeserialize: raw,
  },
  WhoStream: {
    path: '/dtxtest.Who/WhoStream',
    requestStream: false,
    responseStream: true,
    requestSerialize: raw,
    requestDeserialize: raw,
    responseSerialize: raw,
    responseDeserialize: raw,
  },
};
const WhoClient = grpc.makeGenericClientConstructor(SERVICE, 'Who');

/** What a handler saw: the auth context grpc-js gave it and who peerIdentity says the caller is. */
interface Seen {
  transport: string | undefined;
  hasPeerCert: boolean;
  identity: PeerIdentity | null;
}

const servers: grpc.Server[] = [];
const clients: grpc.Client[] = [];
const tlsServers: tls.Server[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) s.forceShutdown();
  for (const s of tlsServers.splice(0)) s.close();
  vi.restoreAllMocks();
});

/** grpc-js does not export its AuthContext type. */
type AuthContext = ReturnType<grpc.ServerUnaryCall<Buffer, Buffer>['getAuthContext']>;

function seen(auth: AuthContext, v: CaVerifier): Seen {
  return { transport: auth?.transportSecurityType, hasPeerCert: auth?.sslPeerCertificate !== undefined, identity: peerIdentity(auth?.sslPeerCertificate, v) };
}

async function startServer(creds: grpc.ServerCredentials, v = verifier): Promise<{ port: number; calls: Seen[] }> {
  const calls: Seen[] = [];
  const server = new grpc.Server();
  servers.push(server);
  server.addService(SERVICE, {
    Who: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      const s = seen(call.getAuthContext(), v);
      calls.push(s);
      cb(null, Buffer.from(JSON.stringify(s)));
    },
    WhoStream: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      const s = seen(call.getAuthContext(), v);
      calls.push(s);
      call.write(Buffer.from(JSON.stringify(s)));
      call.write(Buffer.from(JSON.stringify(seen(call.getAuthContext(), v))));
      call.end();
    },
  });
  const port = await within(
    5000,
    'bind',
    new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', creds, (err, p) => (err ? reject(err) : resolve(p)))),
  );
  return { port, calls };
}

type Outcome = { ok: true; seen: Seen } | { ok: false; code: grpc.status; details: string };

function client(port: number, creds: grpc.ChannelCredentials, options: grpc.ChannelOptions = {}, host = '127.0.0.1'): grpc.Client {
  const c = new WhoClient(`${host}:${port}`, creds, options);
  clients.push(c);
  return c;
}

function who(c: grpc.Client): Promise<Outcome> {
  return within(
    10_000,
    'unary call',
    new Promise<Outcome>((resolve, reject) =>
      c.makeUnaryRequest('/dtxtest.Who/Who', raw, raw, Buffer.alloc(0), { deadline: Date.now() + 5000 }, (err, v) => {
        try {
          resolve(err ? { ok: false, code: err.code, details: err.details } : { ok: true, seen: JSON.parse(v!.toString()) as Seen });
        } catch (e) {
          reject(e as Error);
        }
      }),
    ),
  );
}

async function whoStream(c: grpc.Client): Promise<Seen[]> {
  const stream = c.makeServerStreamRequest('/dtxtest.Who/WhoStream', raw, raw, Buffer.alloc(0), { deadline: Date.now() + 5000 });
  const out: Seen[] = [];
  await within(
    10_000,
    'server stream',
    (async () => {
      for await (const m of stream) out.push(JSON.parse((m as Buffer).toString()) as Seen);
    })(),
  );
  return out;
}

describe('gRPC over TLS with optional client certificates', () => {
  it('(a) a client with a certificate from the CA connects; the handler sees its certificate, on unary calls and streams', async () => {
    const { port, calls } = await startServer(serverCredentials(material(ca, p1)));
    const asAlice = client(port, channelCredentials(material(ca, alice)));
    const expected: Seen = { transport: 'ssl', hasPeerCert: true, identity: { kind: 'user', name: 'alice', roles: ['client'] } };
    expect(await who(asAlice)).toEqual({ ok: true, seen: expected });
    expect(await whoStream(asAlice)).toEqual([expected, expected]);
    // A node calling another node: p2's certificate names it.
    expect(await who(client(port, channelCredentials(material(ca, p2), { expectNodeId: 'p1' })))).toEqual({
      ok: true,
      seen: { transport: 'ssl', hasPeerCert: true, identity: { kind: 'node', id: 'p2' } },
    });
    expect(calls).toHaveLength(3);
  });

  it('(b) a client without a certificate connects; the handler sees no certificate', async () => {
    const { port } = await startServer(serverCredentials(material(ca, p1)));
    const anon = client(port, channelCredentials(material(ca)));
    // grpc-js reports an empty auth context (not even transportSecurityType) when the client is not verified.
    const expected: Seen = { transport: undefined, hasPeerCert: false, identity: null };
    expect(await who(anon)).toEqual({ ok: true, seen: expected });
    expect(await whoStream(anon)).toEqual([expected, expected]);
  });

  it('(c) a client with a certificate from another CA connects at the TLS level, and it grants nothing', async () => {
    const { port, calls } = await startServer(serverCredentials(material(ca, p1)));
    expect(await who(client(port, channelCredentials(material(ca, mallory))))).toEqual({
      ok: true,
      seen: { transport: undefined, hasPeerCert: false, identity: null },
    });
    expect(calls).toHaveLength(1);
  });

  it('(c) the certificate such a client presents fails our check (seen on a plain TLS socket with the same settings)', async () => {
    // The same TLS settings as serverCredentials: ask for a certificate, refuse none.
    const peers: { authorized: boolean; cert: tls.PeerCertificate }[] = [];
    const server = tls.createServer({ ca: ca.cert, cert: p1.cert, key: p1.key, requestCert: true, rejectUnauthorized: false }, (socket) => {
      peers.push({ authorized: socket.authorized, cert: socket.getPeerCertificate() });
      socket.end();
    });
    tlsServers.push(server);
    const port = await within(
      5000,
      'listen',
      new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port))),
    );
    const connectAs = (who: CertAndKey): Promise<void> =>
      within(
        5000,
        'tls connect',
        new Promise<void>((resolve, reject) => {
          const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ca.cert, cert: who.cert, key: who.key }, () => {
            s.on('close', () => resolve());
            s.resume();
          });
          s.on('error', reject);
        }),
      );
    await connectAs(mallory);
    await connectAs(alice);
    expect(peers.map((p) => p.authorized)).toEqual([false, true]);
    expect(peers[0]!.cert.subject).toMatchObject({ CN: 'mallory' });
    expect(peerIdentity(peers[0]!.cert, verifier)).toBeNull();
    expect(peerIdentity(peers[1]!.cert, verifier)).toEqual({ kind: 'user', name: 'alice', roles: ['client'] });
  });

  it('(d) a plaintext client cannot talk to a TLS port, nor a TLS client to a plaintext one', async () => {
    const secure = await startServer(serverCredentials(material(ca, p1)));
    expect(await who(client(secure.port, channelCredentials(null)))).toMatchObject({ ok: false, code: grpc.status.UNAVAILABLE });
    expect(secure.calls).toHaveLength(0);
    const plain = await startServer(serverCredentials(null));
    expect(await who(client(plain.port, channelCredentials(material(ca, alice))))).toMatchObject({ ok: false, code: grpc.status.UNAVAILABLE });
    expect(plain.calls).toHaveLength(0);
    // Plaintext on both ends still works (no TLS configured).
    expect(await who(client(plain.port, channelCredentials(null)))).toEqual({ ok: true, seen: { transport: undefined, hasPeerCert: false, identity: null } });
  });

  it("(e) a TLS client that does not trust the server's CA fails", async () => {
    const { port, calls } = await startServer(serverCredentials(material(ca, p1)));
    const r = await who(client(port, channelCredentials(material(otherCa, mallory))));
    expect(r).toMatchObject({ ok: false, code: grpc.status.UNAVAILABLE });
    expect(r.ok ? '' : r.details).toMatch(/self[- ]signed certificate in certificate chain/);
    expect(calls).toHaveLength(0);
  });

  it('expectNodeId accepts the node it names and refuses another', async () => {
    const { port, calls } = await startServer(serverCredentials(material(ca, p1)));
    expect(await who(client(port, channelCredentials(material(ca, p2), { expectNodeId: 'p1' })))).toMatchObject({ ok: true });
    const wrong = await who(client(port, channelCredentials(material(ca, p2), { expectNodeId: 'p2' })));
    expect(wrong).toMatchObject({ ok: false, code: grpc.status.UNAVAILABLE });
    expect(wrong.ok ? '' : wrong.details).toContain("the server's certificate is for node p1, expected node p2");
    expect(calls).toHaveLength(1);
  });

  it("expectNodeId keeps the hostname check: the address dialled must be in the server's SANs (or the name override)", async () => {
    const remote = await makeNodeCert(ca, 'p9', { hosts: ['p9.dtx.internal'] });
    const { port } = await startServer(serverCredentials(material(ca, remote)));
    const byIp = await who(client(port, channelCredentials(material(ca), { expectNodeId: 'p9' })));
    expect(byIp).toMatchObject({ ok: false, code: grpc.status.UNAVAILABLE });
    expect(byIp.ok ? '' : byIp.details).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID|does not match certificate's altnames/);
    const named = client(port, channelCredentials(material(ca), { expectNodeId: 'p9' }), { 'grpc.ssl_target_name_override': 'p9.dtx.internal' });
    expect(await who(named)).toMatchObject({ ok: true });
    const namedWrongNode = client(port, channelCredentials(material(ca), { expectNodeId: 'p1' }), { 'grpc.ssl_target_name_override': 'p9.dtx.internal' });
    expect(await who(namedWrongNode)).toMatchObject({ ok: false, details: expect.stringContaining('expected node p1') });
  });

  it('a server needs its own certificate; a channel needs a key with its certificate', () => {
    expect(() => serverCredentials(material(ca))).toThrow(/needs its own certificate and key/);
    expect(() => channelCredentials({ ca: Buffer.from(ca.cert), cert: Buffer.from(alice.cert) })).toThrow(/needs its key/);
  });
});

// ---------------------------------------------------------------------------------------------
// dtx certs

class ExitCalled extends Error {
  constructor(readonly code: number) {
    super(`process.exit(${code})`);
  }
}

/** Runs `dtx certs ARGS` in this process: its stdout, stderr and exit code (process.exit is intercepted). */
async function dtxCerts(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  vi.spyOn(process, 'exit').mockImplementation((code?: string | number | null) => {
    throw new ExitCalled(Number(code ?? 0));
  });
  try {
    await certsCommand().parseAsync(args, { from: 'user' });
    return { code: 0, out, err };
  } catch (e) {
    if (e instanceof ExitCalled) return { code: e.code, out, err };
    throw e;
  } finally {
    vi.restoreAllMocks();
  }
}

describe('dtx certs', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dtx-certs-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const mode = (path: string): number => statSync(path).mode & 0o777;

  it('makes a CA, a node and a client certificate that serve TLS end to end', async () => {
    const out = join(dir, 'a');
    const made = await dtxCerts('ca', '--out', out);
    expect(made).toMatchObject({ code: 0, err: '' });
    expect(made.out).toContain(`wrote ${join(out, 'ca.pem')} (CN=dtx cluster CA; valid until `);
    expect(mode(join(out, 'ca-key.pem'))).toBe(0o600);
    expect(mode(join(out, 'ca.pem'))).toBe(0o644);

    const node = await dtxCerts('node', 'p1', '--ca', out, '--host', '127.0.0.1,localhost,p1.dtx.internal');
    expect(node).toMatchObject({ code: 0, err: '' });
    expect(node.out).toContain('(OU=node, CN=p1; IP:127.0.0.1, DNS:localhost, DNS:p1.dtx.internal; valid until');
    expect(mode(join(out, 'p1-key.pem'))).toBe(0o600);

    const user = await dtxCerts('client', 'ops', '--roles', 'client,admin,faults', '--ca', out, '--out', join(out, 'users'), '--days', '30');
    expect(user).toMatchObject({ code: 0, err: '' });
    expect(new X509Certificate(readFileSync(join(out, 'users', 'ops.pem'))).subject).toBe('OU=client\nOU=admin\nOU=faults\nCN=ops');
    expect(mode(join(out, 'users', 'ops-key.pem'))).toBe(0o600);

    const serverTls = loadTls({ ca: join(out, 'ca.pem'), cert: join(out, 'p1.pem'), key: join(out, 'p1-key.pem') });
    const clientTls = loadTls({ ca: join(out, 'ca.pem'), cert: join(out, 'users', 'ops.pem'), key: join(out, 'users', 'ops-key.pem') });
    const { port, calls } = await startServer(serverCredentials(serverTls), new CaVerifier(serverTls.ca));
    const seenByServer: Seen = { transport: 'ssl', hasPeerCert: true, identity: { kind: 'user', name: 'ops', roles: ['client', 'admin', 'faults'] } };
    expect(await who(client(port, channelCredentials(clientTls, { expectNodeId: 'p1' })))).toEqual({ ok: true, seen: seenByServer });
    expect(calls).toEqual([seenByServer]);
  });

  it('refuses to overwrite without --force, and replaces with it', async () => {
    const out = join(dir, 'b');
    expect((await dtxCerts('ca', '--out', out)).code).toBe(0);
    const before = readFileSync(join(out, 'ca.pem'), 'utf8');
    const again = await dtxCerts('ca', '--out', out);
    expect(again.code).toBe(1);
    expect(again.err).toBe(`dtx: ${join(out, 'ca.pem')} and ${join(out, 'ca-key.pem')} already exist (--force replaces)\n`);
    expect(readFileSync(join(out, 'ca.pem'), 'utf8')).toBe(before);
    expect((await dtxCerts('ca', '--out', out, '--force')).code).toBe(0);
    expect(readFileSync(join(out, 'ca.pem'), 'utf8')).not.toBe(before);
    expect(mode(join(out, 'ca-key.pem'))).toBe(0o600);
  });

  it('gives one readable error line and a non-zero exit on bad input', async () => {
    const out = join(dir, 'c');
    const noCa = await dtxCerts('node', 'p1', '--ca', out);
    expect(noCa.code).toBe(1);
    expect(noCa.err).toMatch(/^dtx: the CA's .*ca\.pem does not exist; make a CA with `dtx certs ca --out .*`, or point --ca at its directory\n$/);
    expect((await dtxCerts('ca', '--out', out)).code).toBe(0);
    const cases: [string[], RegExp][] = [
      [['client', 'bob', '--roles', 'client,root', '--ca', out], /unknown role 'root' \(one of client, admin, faults\)/],
      [['client', 'bob', '--ca', out], /required option '--roles <list>' not specified/],
      [['client', 'bob smith', '--roles', 'client', '--ca', out], /client names use letters/],
      [['node', '9p', '--ca', out], /node ids start with a letter/],
      [['node', 'p1', '--ca', out, '--host', '127.0.0.1,bad host'], /'bad host' is neither an IP address nor a DNS name/],
      [['node', 'p1', '--ca', out, '--days', '0'], /expected 1\.\.36500/],
      [['client', 'ca', '--roles', 'client', '--ca', out], /'ca' would overwrite the CA's files/],
    ];
    for (const [args, message] of cases) {
      const r = await dtxCerts(...args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.err, args.join(' ')).toMatch(message);
      expect(r.err.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    expect(new X509Certificate(readFileSync(join(out, 'ca.pem'))).subject).toBe('CN=dtx cluster CA');
  });

  it('--help teaches with examples', async () => {
    const help = await dtxCerts('--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('dtx certs client ops --roles client,admin,faults');
    const node = await dtxCerts('node', '--help');
    expect(node.out).toContain('dtx certs node p1 --host 10.0.0.11,p1.dtx.internal');
  });
});
