// Every TLS decision of dtx, in one module: what a node's port serves (TLS that asks for a client
// certificate but admits a client without one, since clients may authenticate with a bearer token
// instead), what a channel presents and checks, and who a presented client certificate says the
// peer is. No TLS (null material) means plaintext everywhere, as before.
//
// Identity in certificates (made by src/rpc/certificates.ts, `dtx certs`):
//   node:   OU=node, CN=<node id>, SANs = the addresses it is reached at;
//   client: CN=<name>, one OU per role it grants (OU=client, OU=admin, ...).
// Only the cluster CA's signature makes a certificate mean anything.
import * as grpc from '@grpc/grpc-js';
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { NODE_ID_PATTERN } from './addresses.js';

/** Paths of the PEM files: the cluster CA, and (for a node, or a client with a certificate) our own certificate and key. */
export interface TlsFiles {
  ca: string;
  cert?: string;
  key?: string;
}

/** The PEM contents of TlsFiles, checked. */
export interface TlsMaterial {
  ca: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export type PeerIdentity = { kind: 'node'; id: string } | { kind: 'user'; name: string; roles: string[] };

/** The OU that marks a node certificate. */
export const NODE_OU = 'node';
/** Node ids (one pattern for the CLI, the wire and certificates). */
export const NODE_ID = NODE_ID_PATTERN;
/** Client (user/operator) names: letters, digits and . _ @ - (so an e-mail address fits). */
export const CLIENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
/** Role names carried as OU values of a client certificate. */
export const ROLE = /^[a-z][a-z0-9_-]{0,31}$/;

const CLIENT_AUTH_EKU = '1.3.6.1.5.5.7.3.2';
const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

// ---------------------------------------------------------------------------------------------
// Loading

type TlsPart = keyof TlsFiles;
const WHAT: Record<TlsPart, string> = { ca: 'CA certificate', cert: 'certificate', key: 'private key' };

function readPart(part: TlsPart, path: string): Buffer {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(e.code === 'ENOENT' ? `TLS ${part} file ${path} does not exist` : `TLS ${part} file ${path} cannot be read (${e.code ?? e.message})`);
  }
  const text = buf.toString('latin1');
  const label = part === 'key' ? /-----BEGIN ((EC|RSA|ENCRYPTED) )?PRIVATE KEY-----/ : /-----BEGIN CERTIFICATE-----/;
  if (!label.test(text)) throw new Error(`TLS ${part} file ${path} is not a PEM ${WHAT[part]}`);
  if (text.includes('ENCRYPTED PRIVATE KEY')) throw new Error(`TLS key file ${path} is encrypted; dtx needs an unencrypted key (keep it mode 0600)`);
  return buf;
}

/** Every certificate of a PEM bundle (Node's X509Certificate reads only the first). */
function parseCerts(pem: Buffer | string, where: string): X509Certificate[] {
  const blocks = pem.toString('latin1').match(PEM_CERT) ?? [];
  if (blocks.length === 0) throw new Error(`${where} holds no PEM certificate`);
  return blocks.map((b) => {
    try {
      return new X509Certificate(b);
    } catch (err) {
      throw new Error(`${where} holds a certificate that cannot be parsed (${(err as Error).message})`);
    }
  });
}

function expiry(c: X509Certificate): { from: number; to: number } {
  return { from: Date.parse(c.validFrom), to: Date.parse(c.validTo) };
}

function issuedBy(cert: X509Certificate, cas: readonly X509Certificate[]): X509Certificate | undefined {
  return cas.find((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey));
}

/**
 * Reads and checks the PEM files: each exists and is PEM, the CA file holds CA certificates, our
 * certificate and key come together, belong together, are signed by the CA and are valid now. Every
 * error names the file.
 */
export function loadTls(files: TlsFiles): TlsMaterial {
  if ((files.cert === undefined) !== (files.key === undefined)) {
    throw new Error(files.cert === undefined ? `TLS key file ${files.key} given without its certificate` : `TLS cert file ${files.cert} given without its key`);
  }
  const ca = readPart('ca', files.ca);
  const cas = parseCerts(ca, `TLS ca file ${files.ca}`);
  for (const c of cas) if (!c.ca) throw new Error(`TLS ca file ${files.ca} holds a certificate that is not a CA (${oneLine(c.subject)})`);
  if (files.cert === undefined || files.key === undefined) return { ca };
  const cert = readPart('cert', files.cert);
  const key = readPart('key', files.key);
  const [leaf] = parseCerts(cert, `TLS cert file ${files.cert}`);
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey(key);
  } catch (err) {
    throw new Error(`TLS key file ${files.key} holds a key that cannot be parsed (${(err as Error).message})`);
  }
  if (!leaf!.checkPrivateKey(keyObject)) throw new Error(`TLS key file ${files.key} does not belong to the certificate in ${files.cert}`);
  if (!issuedBy(leaf!, cas)) throw new Error(`TLS cert file ${files.cert} is not signed by the CA in ${files.ca}`);
  const { from, to } = expiry(leaf!);
  const now = Date.now();
  if (now < from || now > to) throw new Error(`TLS cert file ${files.cert} is not valid now (valid ${leaf!.validFrom} to ${leaf!.validTo})`);
  return { ca, cert, key };
}

// ---------------------------------------------------------------------------------------------
// Server and channel credentials

/**
 * A CertificateProvider that always has the same CA and identity. It serves both roles because
 * grpc-js 1.14's createCertificateProviderServerCredentials(caProvider, identityProvider, ...)
 * passes its arguments to the constructor in the other order (identity, ca): with one object in
 * both places the swap cannot matter. Updates are delivered on the next tick, as grpc-js's own
 * FileWatcherCertificateProvider does: grpc-js subscribes before it registers the server's watcher.
 */
class StaticCertificateProvider implements grpc.experimental.CertificateProvider {
  constructor(
    private readonly ca: grpc.experimental.CaCertificateUpdate,
    private readonly identity: grpc.experimental.IdentityCertificateUpdate,
  ) {}
  addCaCertificateListener(listener: grpc.experimental.CaCertificateUpdateListener): void {
    process.nextTick(listener, this.ca);
  }
  removeCaCertificateListener(): void {}
  addIdentityCertificateListener(listener: grpc.experimental.IdentityCertificateUpdateListener): void {
    process.nextTick(listener, this.identity);
  }
  removeIdentityCertificateListener(): void {}
}

/**
 * What a node's port serves: plaintext without TLS material; otherwise TLS with the node's own
 * certificate, asking every client for a certificate without refusing one that has none (or one
 * the CA did not sign: the handshake succeeds and grpc-js then reports no peer certificate; see
 * peerIdentity). Authorization is up to the handlers.
 */
export function serverCredentials(tls: TlsMaterial | null): grpc.ServerCredentials {
  if (tls === null) return grpc.ServerCredentials.createInsecure();
  if (!tls.cert || !tls.key) throw new Error('a TLS server needs its own certificate and key (--tls-cert, --tls-key)');
  const provider = new StaticCertificateProvider({ caCertificate: tls.ca }, { certificate: tls.cert, privateKey: tls.key });
  return grpc.experimental.createCertificateProviderServerCredentials(provider, provider, false);
}

/** The node id a node certificate names (OU=node, CN=<id>), or null when it is not a node certificate. */
function nodeIdOf(cert: X509Certificate): string | null {
  const id = identityOfSubject(cert.subject);
  return id?.kind === 'node' ? id.id : null;
}

/**
 * What a channel presents and checks: plaintext without TLS material; otherwise TLS that trusts only
 * the cluster CA, checks the server's name against its SANs (as TLS always does) and presents our
 * certificate when we have one. With expectNodeId the server must also be that node (OU=node,
 * CN=<id>), so that a channel to p2 cannot reach p1 by a misrouted address.
 */
export function channelCredentials(tls: TlsMaterial | null, opts: { expectNodeId?: string } = {}): grpc.ChannelCredentials {
  if (tls === null) return grpc.credentials.createInsecure();
  if ((tls.cert === undefined) !== (tls.key === undefined)) throw new Error('a TLS client certificate needs its key, and a key its certificate');
  const expected = opts.expectNodeId;
  const verifyOptions: grpc.VerifyOptions = {};
  if (expected !== undefined) {
    verifyOptions.checkServerIdentity = (host: string, peer: PeerCertificate): Error | undefined => {
      const err = checkServerIdentity(host, peer);
      if (err) return err;
      const got = peer.raw ? nodeIdOf(new X509Certificate(peer.raw)) : null;
      if (got === expected) return undefined;
      return new Error(`the server's certificate is ${got === null ? 'not a node certificate' : `for node ${got}`}, expected node ${expected}`);
    };
  }
  return grpc.credentials.createSsl(tls.ca, tls.key ?? null, tls.cert ?? null, verifyOptions);
}

// ---------------------------------------------------------------------------------------------
// Who the peer is

function oneLine(subject: string): string {
  return subject.replace(/\n/g, ', ');
}

/**
 * The identity a subject names, from Node's one-attribute-a-line rendering ("OU=node\nCN=p1").
 * Values that Node had to escape or quote (anything unusual) fail the name patterns: no identity.
 */
function identityOfSubject(subject: string): PeerIdentity | null {
  const cn: string[] = [];
  const ou: string[] = [];
  for (const line of subject.split('\n')) {
    const eq = line.indexOf('=');
    const type = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (type === 'CN') cn.push(value);
    else if (type === 'OU') ou.push(value);
  }
  if (cn.length !== 1) return null;
  const name = cn[0]!;
  if (ou.includes(NODE_OU)) return ou.length === 1 && NODE_ID.test(name) ? { kind: 'node', id: name } : null;
  if (!CLIENT_NAME.test(name) || !ou.every((r) => ROLE.test(r))) return null;
  return { kind: 'user', name, roles: [...new Set(ou)] };
}

interface Verdict {
  identity: PeerIdentity | null;
  /** When the certificate (and the CA that signed it) is valid, ms since the epoch. */
  from: number;
  to: number;
}

/**
 * Checks presented client certificates against the cluster CA with Node's own X509Certificate
 * (issuer name, signature, validity dates), caching the verdict of each certificate by its SHA-256
 * fingerprint in a bounded map (least recently used out first). Validity dates are checked on
 * every call, cached or not.
 */
export class CaVerifier {
  private readonly cas: X509Certificate[];
  private readonly cache = new Map<string, Verdict>();

  constructor(
    caPem: Buffer | string,
    private readonly maxEntries = 4096,
  ) {
    this.cas = parseCerts(caPem, 'the CA PEM');
    for (const c of this.cas) if (!c.ca) throw new Error(`the CA PEM holds a certificate that is not a CA (${oneLine(c.subject)})`);
  }

  /** How many verdicts are cached (for tests and metrics). */
  get cached(): number {
    return this.cache.size;
  }

  /** The identity a DER certificate proves at `now`, or null (not signed by the CA, expired, a CA itself, not for client use, no identity). */
  identify(raw: Buffer, now = Date.now()): PeerIdentity | null {
    const key = createHash('sha256').update(raw).digest('hex');
    let v = this.cache.get(key);
    if (v !== undefined) {
      this.cache.delete(key);
    } else {
      v = this.judge(raw);
      if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    }
    this.cache.set(key, v);
    if (v.identity === null || now < v.from || now > v.to) return null;
    // A copy: the cached verdict is shared, the caller may keep or change what it gets.
    return v.identity.kind === 'node' ? { ...v.identity } : { ...v.identity, roles: [...v.identity.roles] };
  }

  private judge(raw: Buffer): Verdict {
    const none: Verdict = { identity: null, from: 0, to: 0 };
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(raw);
    } catch {
      return none;
    }
    if (cert.ca) return none;
    // An extended key usage list, when present, must allow TLS client use (ours always has one).
    if (cert.keyUsage !== undefined && !cert.keyUsage.includes(CLIENT_AUTH_EKU)) return none;
    const ca = issuedBy(cert, this.cas);
    if (!ca) return none;
    const leaf = expiry(cert);
    const root = expiry(ca);
    return { identity: identityOfSubject(cert.subject), from: Math.max(leaf.from, root.from), to: Math.min(leaf.to, root.to) };
  }
}

/**
 * Who a presented client certificate says the peer is: a node (OU=node, CN=<id>) or a user with the
 * roles its OUs grant; null when there is no certificate or the CA did not sign it (or it expired).
 * On a grpc-js server the certificate is `call.getAuthContext()?.sslPeerCertificate`.
 */
export function peerIdentity(peer: PeerCertificate | undefined, ca: CaVerifier): PeerIdentity | null {
  // A TLS socket without a client certificate reports {} (no raw).
  const raw = (peer as Partial<PeerCertificate> | undefined)?.raw;
  if (!raw || raw.length === 0) return null;
  return ca.identify(raw);
}
