import { Option, type Command, type OptionValues } from '@commander-js/extra-typings';
import { loadTls, type TlsMaterial } from '../rpc/credentials.js';
import type { DialSecurity } from '../rpc/dial.js';
import { FenceKey } from '../rpc/fenceProof.js';
import { readTokenFile, TokenTable } from '../rpc/tokens.js';
import type { NodeSecurity } from '../node/nodeSecurity.js';
import { CliError, EXIT } from './run.js';

export interface TlsFlags {
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  tokenFile?: string;
}

/** The TLS and token flags every command that calls a node takes (and the nodes themselves, for their own channels). */
export function withDialOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(cmd: Command<A, O, G>) {
  return cmd
    .addOption(new Option('--tls-ca <file>', 'the cluster CA (PEM): use TLS and trust only it').env('DTX_TLS_CA'))
    .addOption(new Option('--tls-cert <file>', 'our certificate (PEM), made by dtx certs; with --tls-key').env('DTX_TLS_CERT'))
    .addOption(new Option('--tls-key <file>', 'the key of --tls-cert (PEM)').env('DTX_TLS_KEY'))
    .addOption(new Option('--token-file <file>', 'a file holding our bearer token (or set DTX_TOKEN)').env('DTX_TOKEN_FILE'));
}

/** The flags of a node process: what it serves and whom it trusts, beyond withDialOptions. */
export function withNodeSecurityOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(cmd: Command<A, O, G>) {
  return withDialOptions(cmd)
    .addOption(
      new Option('--tokens <file>', 'bearer tokens this node accepts: lines "<name> <role,...> <token>" (roles: client, admin, faults, node)').env(
        'DTX_TOKENS',
      ),
    )
    .addOption(
      new Option('--cluster-secret <file>', 'the secret (≥16 bytes) that signs fencing tokens; give every node of the cluster the same one').env(
        'DTX_CLUSTER_SECRET_FILE',
      ),
    )
    .addOption(new Option('--insecure', 'allow plaintext on an address other machines can reach').env('DTX_INSECURE'))
    .addOption(
      new Option('--allow-faults', 'serve fault injection (Admin.Set*, DTX_FAILPOINTS, DTX_PLANTED_BUG): tests and chaos only').env('DTX_ALLOW_FAULTS'),
    )
    .addOption(new Option('--reflection', 'serve gRPC server reflection (grpcurl without the .proto files); dtx cluster up turns it on').env('DTX_REFLECTION'));
}

/** Runs a loader and turns its error into a one-line usage error. */
function usage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new CliError((err as Error).message, EXIT.usage);
  }
}

function tlsFrom(f: TlsFlags): TlsMaterial | null {
  if (f.tlsCa === undefined) {
    if (f.tlsCert !== undefined || f.tlsKey !== undefined)
      throw new CliError('--tls-cert and --tls-key need --tls-ca (the CA that signed the peers)', EXIT.usage);
    return null;
  }
  const ca = f.tlsCa;
  return usage(() => loadTls({ ca, ...(f.tlsCert !== undefined ? { cert: f.tlsCert } : {}), ...(f.tlsKey !== undefined ? { key: f.tlsKey } : {}) }));
}

function tokenFrom(f: TlsFlags): string | null {
  if (f.tokenFile !== undefined) {
    const file = f.tokenFile;
    return usage(() => readTokenFile(file));
  }
  const env = process.env['DTX_TOKEN'];
  return env !== undefined && env !== '' ? env : null;
}

export function dialSecurityFrom(f: TlsFlags): DialSecurity {
  return { tls: tlsFrom(f), token: tokenFrom(f) };
}

export function nodeSecurityFrom(
  f: TlsFlags & { tokens?: string; clusterSecret?: string; insecure?: true; allowFaults?: true; reflection?: true },
): NodeSecurity {
  const tls = tlsFrom(f);
  if (tls && (!tls.cert || !tls.key)) throw new CliError('a node with --tls-ca also needs its own --tls-cert and --tls-key (dtx certs node <id>)', EXIT.usage);
  const tokens = f.tokens;
  const secret = f.clusterSecret;
  return {
    tls,
    tokens: tokens !== undefined ? usage(() => TokenTable.load(tokens)) : null,
    token: tokenFrom(f),
    fenceKey: secret !== undefined ? usage(() => FenceKey.load(secret)) : null,
    insecure: f.insecure === true,
    allowFaults: f.allowFaults === true,
    reflection: f.reflection === true,
  };
}
