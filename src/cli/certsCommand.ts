import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from '@commander-js/extra-typings';
import {
  CLIENT_ROLES,
  DEFAULT_CA_DAYS,
  DEFAULT_LEAF_DAYS,
  DEFAULT_NODE_HOSTS,
  makeCa,
  makeClientCert,
  makeNodeCert,
  parseHosts,
  type CertAndKey,
} from '../rpc/certificates.js';
import { CLIENT_NAME } from '../rpc/credentials.js';
import { parseIntIn, parseNodeId } from './parse.js';
import { action, CliError, EXIT } from './run.js';

const DEFAULT_DIR = './certs';

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function parseHostList(value: string): string[] {
  const hosts = list(value);
  try {
    parseHosts(hosts);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return hosts;
}

function parseRoles(value: string): string[] {
  const roles = list(value);
  if (roles.length === 0) throw new InvalidArgumentError(`expected one or more of ${CLIENT_ROLES.join(', ')}, comma-separated`);
  for (const r of roles) {
    if (!CLIENT_ROLES.includes(r)) throw new InvalidArgumentError(`unknown role '${r}' (one of ${CLIENT_ROLES.join(', ')})`);
  }
  return [...new Set(roles)];
}

function parseClientName(value: string): string {
  if (!CLIENT_NAME.test(value)) {
    throw new InvalidArgumentError(`client names use letters, digits, '.', '_', '@' or '-' (max 64), starting with a letter or digit: "${value}"`);
  }
  return value;
}

/** Where a certificate and its key go: DIR/NAME.pem and DIR/NAME-key.pem. */
function targets(dir: string, name: string): { cert: string; key: string } {
  return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}-key.pem`) };
}

/** Writes a certificate (0644) and its key (0600); refuses to replace either unless `force`. */
function writePair(dir: string, name: string, pair: CertAndKey, force: boolean): { cert: string; key: string } {
  const t = targets(dir, name);
  if (!force) {
    const present = [t.cert, t.key].filter((p) => existsSync(p));
    if (present.length > 0) throw new CliError(`${present.join(' and ')} already exist${present.length === 1 ? 's' : ''} (--force replaces)`);
  }
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // The key first, created 0600 (chmod too: an existing file keeps its mode when overwritten).
    writeFileSync(t.key, pair.key, { mode: 0o600, flag: force ? 'w' : 'wx' });
    chmodSync(t.key, 0o600);
    writeFileSync(t.cert, pair.cert, { mode: 0o644, flag: force ? 'w' : 'wx' });
    chmodSync(t.cert, 0o644);
  } catch (err) {
    throw new CliError(`cannot write ${dir}: ${(err as Error).message}`);
  }
  return t;
}

/** Reads DIR/ca.pem and DIR/ca-key.pem. */
function readCa(dir: string): CertAndKey {
  const t = targets(dir, 'ca');
  const read = (path: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why = e.code === 'ENOENT' ? 'does not exist' : `cannot be read (${e.code ?? e.message})`;
      throw new CliError(`the CA's ${path} ${why}; make a CA with \`dtx certs ca --out ${dir}\`, or point --ca at its directory`);
    }
  };
  return { cert: read(t.cert), key: read(t.key) };
}

/** A leaf must not land on the CA's own files (`dtx certs client ca` with --out = --ca). */
function refuseCaPaths(caDir: string, outDir: string, name: string): void {
  const ca = targets(caDir, 'ca');
  const out = targets(outDir, name);
  const taken = new Set([resolve(ca.cert), resolve(ca.key)]);
  if (taken.has(resolve(out.cert)) || taken.has(resolve(out.key))) {
    throw new CliError(`'${name}' would overwrite the CA's files in ${caDir}; pick another name or --out directory`, EXIT.usage);
  }
}

/** One line about a written certificate: its subject, SANs, validity and files. */
function describeWritten(files: { cert: string; key: string }, pem: string): string {
  const c = new X509Certificate(pem);
  const san = c.subjectAltName ? `; ${c.subjectAltName.replace(/IP Address:/g, 'IP:')}` : '';
  const until = new Date(Date.parse(c.validTo)).toISOString().slice(0, 10);
  return `wrote ${files.cert} (${c.subject.replace(/\n/g, ', ')}${san}; valid until ${until}) and ${files.key} (mode 0600)\n`;
}

/** Turns a builder's error (a bad name, a CA key that does not fit) into one CLI error line. */
async function build(what: string, make: () => Promise<CertAndKey>): Promise<CertAndKey> {
  try {
    return await make();
  } catch (err) {
    throw new CliError(`cannot make the ${what}: ${(err as Error).message}`);
  }
}

function caCommand() {
  return new Command('ca')
    .description('make a cluster CA: DIR/ca.pem (give it to every node and client) and DIR/ca-key.pem (keep it off the nodes)')
    .option('--out <dir>', 'directory to write to (made if missing)', DEFAULT_DIR)
    .option('--name <text>', "the CA certificate's common name", 'dtx cluster CA')
    .option('--days <n>', 'validity in days', parseIntIn(1, 36_500), DEFAULT_CA_DAYS)
    .option('--force', 'replace existing files')
    .addHelpText('after', '\nExamples:\n  dtx certs ca                      certs/ca.pem, certs/ca-key.pem\n  dtx certs ca --out /etc/dtx/tls --days 730')
    .action(
      action(async (o) => {
        const pair = await build('CA', () => makeCa({ name: o.name, days: o.days }));
        const files = writePair(o.out, 'ca', pair, o.force === true);
        process.stdout.write(describeWritten(files, pair.cert));
      }),
    );
}

function nodeCommand() {
  return new Command('node')
    .description("make a node's certificate (OU=node, CN=<id>, the hosts it is reached at as SANs): DIR/<id>.pem and DIR/<id>-key.pem")
    .argument('<id>', 'node id, as the node is started with (p1, c1, ...)', parseNodeId)
    .option('--ca <dir>', 'directory holding ca.pem and ca-key.pem', DEFAULT_DIR)
    .option('--host <list>', 'comma-separated IP addresses and DNS names the node is reached at', parseHostList, [...DEFAULT_NODE_HOSTS])
    .option('--out <dir>', 'directory to write to (default: the --ca directory)')
    .option('--days <n>', 'validity in days', parseIntIn(1, 36_500), DEFAULT_LEAF_DAYS)
    .option('--force', 'replace existing files')
    .addHelpText(
      'after',
      '\nExamples:\n  dtx certs node p1                                    certs/p1.pem for 127.0.0.1, ::1, localhost' +
        '\n  dtx certs node p1 --host 10.0.0.11,p1.dtx.internal   a node on another machine (every address it is dialled at)',
    )
    .action(
      action(async (id, o) => {
        const out = o.out ?? o.ca;
        refuseCaPaths(o.ca, out, id);
        const ca = readCa(o.ca);
        const pair = await build(`certificate of node ${id}`, () => makeNodeCert(ca, id, { hosts: o.host, days: o.days }));
        process.stdout.write(describeWritten(writePair(out, id, pair, o.force === true), pair.cert));
      }),
    );
}

function clientCommand() {
  return new Command('client')
    .description('make a client (user or operator) certificate (CN=<name>, one OU per role): DIR/<name>.pem and DIR/<name>-key.pem')
    .argument('<name>', 'who the certificate is for (alice, ops@example.com, ...)', parseClientName)
    .requiredOption('--roles <list>', `comma-separated roles it grants: ${CLIENT_ROLES.join(', ')}`, parseRoles)
    .option('--ca <dir>', 'directory holding ca.pem and ca-key.pem', DEFAULT_DIR)
    .option('--out <dir>', 'directory to write to (default: the --ca directory)')
    .option('--days <n>', 'validity in days', parseIntIn(1, 36_500), DEFAULT_LEAF_DAYS)
    .option('--force', 'replace existing files')
    .addHelpText(
      'after',
      '\nExamples:\n  dtx certs client alice --roles client              may run transactions' +
        '\n  dtx certs client ops --roles client,admin,faults   an operator: admin calls and fault injection too',
    )
    .action(
      action(async (name, o) => {
        const out = o.out ?? o.ca;
        refuseCaPaths(o.ca, out, name);
        const ca = readCa(o.ca);
        const pair = await build(`certificate of ${name}`, () => makeClientCert(ca, name, o.roles, { days: o.days }));
        process.stdout.write(describeWritten(writePair(out, name, pair, o.force === true), pair.cert));
      }),
    );
}

const CERTS_HELP = `
Examples (everything in ./certs, the default directory):
  dtx certs ca                                        the cluster CA: certs/ca.pem, certs/ca-key.pem
  dtx certs node c1                                   coordinator c1, reached at 127.0.0.1, ::1, localhost
  dtx certs node p1 --host 10.0.0.11,p1.dtx.internal  participant p1 on another machine
  dtx certs client alice --roles client               a user who may run transactions
  dtx certs client ops --roles client,admin,faults    an operator

What a certificate says:
  node     OU=node, CN=<id>; SANs: the addresses it is reached at (a client checks the one it dials)
  client   CN=<name>, one OU per role (${CLIENT_ROLES.join(', ')})
  Only certificates signed by the cluster CA grant anything. Keys are ECDSA P-256, written mode 0600,
  unencrypted: these are development certificates. ca-key.pem signs new identities: keep it off the
  nodes. A production PKI can issue certificates with the same subjects instead.

Existing files are never replaced without --force.`;

/** `dtx certs`: development certificates for TLS between nodes and clients. */
export function certsCommand() {
  return new Command('certs')
    .description('make development TLS certificates: a cluster CA, node certificates, client certificates with roles')
    .addCommand(caCommand())
    .addCommand(nodeCommand())
    .addCommand(clientCommand())
    .addHelpText('after', CERTS_HELP);
}
