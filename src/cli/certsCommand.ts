import { existsSync, readFileSync } from 'node:fs';
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
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
import { pairPaths, writePair, writeSecretFile } from '../rpc/trustFiles.js';
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

/** Reads DIR/ca.pem and DIR/ca-key.pem. */
function readCa(dir: string): CertAndKey {
  const t = pairPaths(dir, 'ca');
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
  const ca = pairPaths(caDir, 'ca');
  const out = pairPaths(outDir, name);
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

/** The identities `dtx certs init` makes besides the nodes: who they are, their roles, and whether a certificate is made too. */
const INIT_USERS: { name: string; roles: string[] }[] = [
  { name: 'app', roles: ['client'] },
  { name: 'ops', roles: ['client', 'admin'] },
];

function initCommand() {
  return new Command('init')
    .description(
      'make everything a cluster trusts, once: a CA, a certificate per node, certificates and bearer tokens for an app ' +
        '(client) and an operator (client,admin), a token for the nodes, a tokens file and a cluster secret',
    )
    .requiredOption('--nodes <list>', 'comma-separated node ids (c1,p1,p2,p3); each certificate names the id as a host too', (v) => list(v).map(parseNodeId))
    .option('--out <dir>', 'directory to write to (made if missing)', DEFAULT_DIR)
    .option('--host <list>', 'more hosts every node certificate names (default: 127.0.0.1, ::1, localhost)', parseHostList, [...DEFAULT_NODE_HOSTS])
    .addHelpText(
      'after',
      '\nDoes nothing if DIR/ca.pem exists (so a container that runs it on every start keeps its files).\n' +
        'Writes: ca.pem ca-key.pem <node>.pem <node>-key.pem app.pem ops.pem (and keys) cluster-secret tokens\n' +
        '        node.token app.token ops.token\n' +
        '\nExample:\n  dtx certs init --nodes c1,p1,p2,p3 --out ./certs',
    )
    .action(
      action(async (o) => {
        if (existsSync(join(o.out, 'ca.pem'))) {
          process.stdout.write(`${join(o.out, 'ca.pem')} exists: nothing to do\n`);
          return;
        }
        const ca = await build('CA', () => makeCa({ name: 'dtx cluster CA' }));
        writePair(o.out, 'ca', ca, false);
        for (const id of o.nodes) writePair(o.out, id, await build(`certificate of node ${id}`, () => makeNodeCert(ca, id, { hosts: [id, ...o.host] })), false);
        const lines = ['# name roles token (sha256 digests: the tokens themselves are in <name>.token)'];
        for (const who of [{ name: 'node', roles: ['node'] }, ...INIT_USERS]) {
          if (who.name !== 'node') writePair(o.out, who.name, await build(`certificate of ${who.name}`, () => makeClientCert(ca, who.name, who.roles)), false);
          const token = randomBytes(32).toString('base64url');
          writeSecretFile(join(o.out, `${who.name}.token`), `${token}\n`);
          lines.push(`${who.name === 'node' ? 'nodes' : who.name} ${who.roles.join(',')} sha256:${createHash('sha256').update(token).digest('hex')}`);
        }
        writeSecretFile(join(o.out, 'tokens'), `${lines.join('\n')}\n`);
        writeSecretFile(join(o.out, 'cluster-secret'), `${randomBytes(32).toString('hex')}\n`);
        process.stdout.write(
          `wrote the CA, ${o.nodes.length} node certificates, app and ops certificates and tokens, a node token and the cluster secret in ${o.out}\n`,
        );
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
  dtx certs init --nodes c1,p1,p2,p3                  all of it at once, with bearer tokens and a cluster secret

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
    .addCommand(initCommand())
    .addHelpText('after', CERTS_HELP);
}
