// Builds the cluster's X.509 certificates: a CA, node certificates and client (user/operator)
// certificates, as PEM strings, in memory. `dtx certs` writes them to files; tests and the launcher
// call these functions directly.
//
// Why @peculiar/x509: Node's crypto makes keys and verifies certificates but cannot build one.
// @peculiar/x509 is pure TypeScript on top of WebCrypto (Node's own `crypto.webcrypto` here: no
// native build, no bundled OpenSSL), is maintained (2.x, Node >= 20), and does ECDSA P-256, which
// node-forge (the other common choice) cannot put in a certificate (forge signs RSA only), and RSA
// keys are ~100x slower to make. It is used only here, to build certificates: checking a certificate
// a peer presents is Node's built-in X509Certificate (src/rpc/credentials.ts), not this library.
//
// The library resolves its algorithm providers through tsyringe, which needs the Reflect metadata
// polyfill loaded first (the library's README says so); it only adds Reflect.* functions.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, createPublicKey, KeyObject, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { CLIENT_NAME, NODE_ID, NODE_OU, ROLE } from './credentials.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

/** A certificate and its private key, both PEM (the key PKCS#8, unencrypted). */
export interface CertAndKey {
  cert: string;
  key: string;
}

export interface ValidityOptions {
  /** How long the certificate is valid, in days (from `now`). */
  days?: number;
  /** The certificate's start of validity (backdated 5 minutes for clock skew); default: the current time. */
  now?: Date;
}

export const DEFAULT_CA_DAYS = 3650;
export const DEFAULT_LEAF_DAYS = 365;
/** Where a node is reached when nothing else is said: the loopback addresses. */
export const DEFAULT_NODE_HOSTS: readonly string[] = ['127.0.0.1', '::1', 'localhost'];
/** The roles a client certificate can grant today (the CLI refuses others: a typo would grant nothing). */
export const CLIENT_ROLES: readonly string[] = ['client', 'admin', 'faults'];

const EC_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SKEW_MS = 5 * 60_000;
const DNS_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

type SigningAlgorithm = { name: 'ECDSA'; hash: string } | { name: 'RSASSA-PKCS1-v1_5' };

/** A loaded CA: its certificate and the key that signs with it. */
interface Issuer {
  cert: x509.X509Certificate;
  key: webcrypto.CryptoKey;
  algorithm: SigningAlgorithm;
}

function validity(opts: ValidityOptions, defaultDays: number): { notBefore: Date; notAfter: Date } {
  const days = opts.days ?? defaultDays;
  if (!Number.isInteger(days) || days < 1 || days > 36_500) throw new Error(`validity must be 1..36500 days, got ${days}`);
  const start = (opts.now ?? new Date()).getTime();
  return { notBefore: new Date(start - SKEW_MS), notAfter: new Date(start + days * 86_400_000) };
}

/** 128 random bits, positive (the high bit clear) as RFC 5280 wants serial numbers. */
function serialNumber(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b.toString('hex');
}

async function newKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify']);
}

function privateKeyPem(key: webcrypto.CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }) as string;
}

/** The algorithm a CA key signs with: ECDSA P-256/P-384 (what `makeCa` makes) or RSA. */
async function loadSigningKey(pem: string): Promise<{ key: webcrypto.CryptoKey; algorithm: SigningAlgorithm }> {
  let ko: KeyObject;
  try {
    ko = createPrivateKey(pem);
  } catch (err) {
    throw new Error(`the CA key is not a readable PEM private key (${(err as Error).message})`);
  }
  const der = ko.export({ type: 'pkcs8', format: 'der' });
  if (ko.asymmetricKeyType === 'ec') {
    const curve = { prime256v1: 'P-256', secp384r1: 'P-384' }[ko.asymmetricKeyDetails?.namedCurve ?? ''];
    if (!curve) throw new Error(`the CA key's curve ${ko.asymmetricKeyDetails?.namedCurve} is not supported (P-256 or P-384)`);
    const key = await webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: curve }, false, ['sign']);
    return { key, algorithm: { name: 'ECDSA', hash: curve === 'P-256' ? 'SHA-256' : 'SHA-384' } };
  }
  if (ko.asymmetricKeyType === 'rsa') {
    const key = await webcrypto.subtle.importKey('pkcs8', der, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
    return { key, algorithm: { name: 'RSASSA-PKCS1-v1_5' } };
  }
  throw new Error(`the CA key is ${ko.asymmetricKeyType}; an EC (P-256, P-384) or RSA key is needed`);
}

/** Parses the CA's certificate and key and checks that they belong together and can sign. */
async function loadIssuer(ca: CertAndKey): Promise<Issuer> {
  let nodeCert: X509Certificate;
  try {
    nodeCert = new X509Certificate(ca.cert);
  } catch (err) {
    throw new Error(`the CA certificate is not a readable PEM certificate (${(err as Error).message})`);
  }
  if (!nodeCert.ca) throw new Error(`the CA certificate (${nodeCert.subject.replace(/\n/g, ', ')}) is not a CA certificate`);
  const { key, algorithm } = await loadSigningKey(ca.key);
  const fromKey = createPublicKey(ca.key).export({ type: 'spki', format: 'der' });
  if (!fromKey.equals(nodeCert.publicKey.export({ type: 'spki', format: 'der' }))) {
    throw new Error('the CA key does not belong to the CA certificate');
  }
  return { cert: new x509.X509Certificate(ca.cert), key, algorithm };
}

/** Makes a self-signed CA (ECDSA P-256, path length 0: it signs leaf certificates only). */
export async function makeCa(opts: ValidityOptions & { name?: string } = {}): Promise<CertAndKey> {
  const name = opts.name ?? 'dtx cluster CA';
  const keys = await newKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: [{ CN: [name] }],
    ...validity(opts, DEFAULT_CA_DAYS),
    keys: keys as unknown as CryptoKeyPair,
    signingAlgorithm: { ...EC_KEY, hash: 'SHA-256' },
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as unknown as CryptoKey),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: privateKeyPem(keys.privateKey) };
}

/** Signs a leaf certificate for a fresh key pair. */
async function makeLeaf(
  ca: CertAndKey,
  subject: x509.JsonName,
  usages: x509.ExtendedKeyUsage[],
  opts: ValidityOptions,
  san?: x509.JsonGeneralNames,
): Promise<CertAndKey> {
  const issuer = await loadIssuer(ca);
  const keys = await newKeyPair();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject,
    issuer: issuer.cert.subjectName,
    ...validity(opts, DEFAULT_LEAF_DAYS),
    publicKey: keys.publicKey as unknown as CryptoKey,
    signingKey: issuer.key as unknown as CryptoKey,
    signingAlgorithm: issuer.algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(usages),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as unknown as CryptoKey),
      await x509.AuthorityKeyIdentifierExtension.create(issuer.cert),
      ...(san ? [new x509.SubjectAlternativeNameExtension(san)] : []),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: privateKeyPem(keys.privateKey) };
}

/** Checks and normalizes the names a node is reached at: IPv4/IPv6 addresses (brackets allowed) and DNS names. */
export function parseHosts(hosts: readonly string[]): x509.JsonGeneralNames {
  if (hosts.length === 0) throw new Error('a node certificate needs at least one host (IP address or DNS name)');
  const out: x509.JsonGeneralNames = [];
  for (const raw of hosts) {
    const h = raw.trim().replace(/^\[(.*)\]$/, '$1');
    if (isIP(h)) out.push({ type: 'ip', value: h });
    else if (DNS_NAME.test(h)) out.push({ type: 'dns', value: h.toLowerCase() });
    else throw new Error(`'${raw}' is neither an IP address nor a DNS name`);
  }
  return out;
}

/**
 * A node's certificate: subject OU=node, CN=<node id>, the hosts it is reached at as SANs, usable as
 * a TLS server (its port) and a TLS client (its calls to other nodes).
 */
export async function makeNodeCert(ca: CertAndKey, id: string, opts: ValidityOptions & { hosts?: readonly string[] } = {}): Promise<CertAndKey> {
  if (!NODE_ID.test(id)) throw new Error(`node ids start with a letter and use letters, digits, _ or - (max 32): '${id}'`);
  const san = parseHosts(opts.hosts ?? DEFAULT_NODE_HOSTS);
  return makeLeaf(ca, [{ OU: [NODE_OU] }, { CN: [id] }], [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth], opts, san);
}

/** A client (user or operator) certificate: CN=<name>, one OU per role it grants, TLS client use only. */
export async function makeClientCert(ca: CertAndKey, name: string, roles: readonly string[], opts: ValidityOptions = {}): Promise<CertAndKey> {
  if (!CLIENT_NAME.test(name)) throw new Error(`client names use letters, digits, '.', '_', '@' or '-' (max 64), starting with a letter or digit: '${name}'`);
  if (roles.length === 0) throw new Error('a client certificate needs at least one role');
  for (const r of roles) {
    if (r === NODE_OU) throw new Error(`'${NODE_OU}' is not a client role: node certificates are made with makeNodeCert`);
    if (!ROLE.test(r)) throw new Error(`role names are lowercase letters, digits, _ or - (max 32): '${r}'`);
  }
  const unique = [...new Set(roles)];
  return makeLeaf(ca, [...unique.map((r) => ({ OU: [r] })), { CN: [name] }], [x509.ExtendedKeyUsage.clientAuth], opts);
}
