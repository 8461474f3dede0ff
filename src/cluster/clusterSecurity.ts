import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeCa, makeClientCert, makeNodeCert, type CertAndKey } from '../rpc/certificates.js';
import { loadTls } from '../rpc/credentials.js';
import type { DialSecurity } from '../rpc/dial.js';
import { writePair, writeSecretFile } from '../rpc/trustFiles.js';

/** What a launched cluster's nodes are given, and how the launcher itself calls them. */
export interface ClusterSecurity {
  /** Extra flags per node name. */
  nodeArgs: Map<string, string[]>;
  /** The launcher's (operator's) own credentials: roles client, admin and faults. */
  dial: DialSecurity;
  /** Where the PEM files are (TLS clusters), for clients and the README's examples. */
  certDir: string | null;
  /** The flags of a node added later (a participant joining a running cluster): its certificate from the same CA. */
  argsForNewNode: (name: string) => Promise<string[]>;
}

/**
 * Prepares a launched cluster's trust: always a fresh cluster secret (fencing tokens cannot be
 * forged, even in open mode); with `tls`, a development CA, a certificate per node (OU=node,
 * CN=<name>, for 127.0.0.1/::1/localhost) and an operator certificate, all under <dataDir>/certs.
 */
export async function prepareClusterSecurity(
  dataDir: string,
  names: string[],
  opts: { tls: boolean; allowFaults: boolean; reflection: boolean },
): Promise<ClusterSecurity> {
  const dir = join(dataDir, 'certs');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const secretFile = join(dir, 'cluster-secret');
  // Kept across launches on the same data dir: a lease granted before a restart still proves its fence.
  if (!existsSync(secretFile)) writeSecretFile(secretFile, randomBytes(32).toString('hex'));
  const common = ['--cluster-secret', secretFile, ...(opts.allowFaults ? ['--allow-faults'] : []), ...(opts.reflection ? ['--reflection'] : [])];
  const nodeArgs = new Map(names.map((n) => [n, [...common]]));
  if (!opts.tls) return { nodeArgs, dial: { tls: null, token: null }, certDir: null, argsForNewNode: async () => [...common] };

  const ca = await makeCa({ name: 'dtx local cluster CA' });
  // A fresh CA on every launch: the files of the last one are replaced.
  const write = (name: string, pair: CertAndKey) => writePair(dir, name, pair, true);
  write('ca', ca);
  const caFile = join(dir, 'ca.pem');
  const argsForNewNode = async (name: string): Promise<string[]> => {
    const files = write(name, await makeNodeCert(ca, name));
    return [...common, '--tls-ca', caFile, '--tls-cert', files.cert, '--tls-key', files.key];
  };
  for (const name of names) nodeArgs.set(name, await argsForNewNode(name));
  const operator = write('operator', await makeClientCert(ca, 'operator', ['client', 'admin', 'faults']));
  return { nodeArgs, dial: { tls: loadTls({ ca: caFile, ...operator }), token: null }, certDir: dir, argsForNewNode };
}
