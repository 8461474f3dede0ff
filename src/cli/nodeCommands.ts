import { DEFAULT_RETENTION_MS, formatDuration, retentionRule, type RetentionRule } from '../protocol/retention.js';
import { DEFAULT_PROTOCOL } from '../protocol/protocols/index.js';
import { Command, InvalidArgumentError } from '@commander-js/extra-typings';
import { startCoordinator } from '../node/coordinatorNode.js';
import { ShardMapConflict } from '../node/shardDirectory.js';
import { DEFAULT_COMMIT_LINGER_MS, startParticipant, type RunningNode } from '../node/participantNode.js';
import { MAX_LINGER_MS } from '../storage/groupCommit.js';
import { startCpuProfile } from './cpuProfile.js';
import { exitWithParent } from './exitWithParent.js';
import { makeLogger } from './logger.js';
import { parseAddress, parseDurationMs, parseNodeId, parsePeers, parseProtocol, parseRetention, PROTOCOL_HELP } from './parse.js';
import { alertOptionsFrom, withAlertOptions } from './alertOptions.js';
import { action, CliError, EXIT } from './run.js';
import { nodeSecurityFrom, withNodeSecurityOptions } from './securityOptions.js';

const SECURITY_HELP = `
Security (README "Security"): on loopback with no TLS and no tokens every caller may use every
service. Give --tls-ca/--tls-cert/--tls-key (dtx certs) for TLS with node identities, --tokens
for bearer tokens with roles, and --cluster-secret so that fencing tokens cannot be forged.
A node asked to listen beyond loopback without TLS refuses to start unless --insecure.

Metrics (README "Metrics"): --http-listen serves GET /metrics (Prometheus) and GET /healthz over
HTTP, or HTTPS with the node's certificate when it runs TLS; /metrics needs what Admin.Status
needs (a token or client certificate with role admin) unless the node is in open mode.`;

const HTTP_LISTEN_HELP = 'serve Prometheus metrics (/metrics) and /healthz over HTTP(S) on this address (default: off)';

function parseLinger(v: string): number {
  const ms = parseDurationMs(v);
  if (ms > MAX_LINGER_MS) throw new InvalidArgumentError(`at most ${MAX_LINGER_MS}ms`);
  return ms;
}

/** The other coordinators: every coordinator may be given the same full list (a StatefulSet's pods all are), its own entry is dropped. */
function otherCoordinators(list: Map<string, string> | undefined, self: string): Map<string, string> | undefined {
  if (!list) return undefined;
  const others = new Map([...list].filter(([id]) => id !== self));
  return others.size > 0 ? others : undefined;
}

const RETENTION_HELP = `how long finished transactions' records are kept (${formatDuration(DEFAULT_RETENTION_MS)} default; "off": forever); a retry or GetTransaction of an older id is refused FAILED_PRECONDITION, never run again`;

const retentionOf = (ms: number): { retention: RetentionRule | null } => ({ retention: ms > 0 ? retentionRule(ms) : null });

/** Keeps a node up until SIGINT/SIGTERM (or the launcher's death), then stops it cleanly. */
function runUntilSignalled(node: RunningNode): void {
  const writeProfile = startCpuProfile(node.id);
  let stopping = false;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`dtx: ${node.id} stopping (${why})\n`);
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    node
      .stop()
      .then(writeProfile)
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  exitWithParent(() => stop('launcher gone'));
}

export function participantCommand() {
  const cmd = new Command('participant')
    .description('run a participant: one LevelDB shard that votes in commits')
    .requiredOption('--id <id>', "participant id (must match the coordinator's --participants list)", parseNodeId)
    .requiredOption('--listen <host:port>', 'address to serve gRPC on', parseAddress)
    .requiredOption('--data <dir>', 'data directory (its LevelDB log and data)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent')
    .option('--http-listen <host:port>', HTTP_LISTEN_HELP, parseAddress)
    .option('--inquire-after <duration>', 'how long a YES vote waits for the decision before asking', parseDurationMs)
    .option(
      '--commit-linger <duration>',
      `how long a commit record may wait to share the next log write's fsync (0-${MAX_LINGER_MS}ms; 0: never; default ${DEFAULT_COMMIT_LINGER_MS}ms)`,
      parseLinger,
    )
    .option('--retention <duration>', RETENTION_HELP, parseRetention, DEFAULT_RETENTION_MS)
    .addHelpText(
      'after',
      `\nExample:\n  dtx participant --id p1 --listen 127.0.0.1:7701 --data ./data/p1 --http-listen 127.0.0.1:8701 --retention 1h\n${SECURITY_HELP}`,
    );
  return withAlertOptions(withNodeSecurityOptions(cmd)).action(
    action(async (o) => {
      const node = await startParticipant({
        id: o.id,
        listen: o.listen,
        dataDir: o.data,
        log: makeLogger(o.logLevel),
        config: o.inquireAfter !== undefined ? { inquireAfterMs: o.inquireAfter } : {},
        ...(o.commitLinger !== undefined ? { commitLingerMs: o.commitLinger } : {}),
        ...retentionOf(o.retention),
        security: nodeSecurityFrom(o),
        alerts: alertOptionsFrom(o),
        httpListen: o.httpListen,
      });
      runUntilSignalled(node);
    }),
  );
}

export function coordinatorCommand() {
  const cmd = new Command('coordinator')
    .description('run a coordinator: the client-facing node that runs two-phase commit')
    .requiredOption('--id <id>', 'coordinator id (prefix of the transaction ids it makes)', parseNodeId)
    .requiredOption('--listen <host:port>', 'address to serve gRPC on', parseAddress)
    .requiredOption('--data <dir>', 'data directory (its decision log)')
    .requiredOption('--participants <list>', 'participants as id=host:port,id=host:port,...', parsePeers)
    .option(
      '--coordinators <list>',
      'the other coordinators as id=host:port,... (a question about a transaction another one owns is forwarded to it; an entry for --id itself is ignored, so every coordinator may get the same list)',
      parsePeers,
    )
    .option('--advertise <host:port>', 'address participants use to reach this coordinator (default: --listen)', parseAddress)
    .option('--timeout <duration>', 'default transaction timeout', parseDurationMs, 5000)
    .option('--protocol <p>', `${PROTOCOL_HELP}; for transactions that do not name one`, parseProtocol, DEFAULT_PROTOCOL)
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent')
    .option('--http-listen <host:port>', HTTP_LISTEN_HELP, parseAddress)
    .option('--retention <duration>', RETENTION_HELP, parseRetention, DEFAULT_RETENTION_MS)
    .addHelpText(
      'after',
      `\nExample:\n  dtx coordinator --id c1 --listen 127.0.0.1:7700 --data ./data/c1 \\\n    --participants p1=127.0.0.1:7701,p2=127.0.0.1:7702,p3=127.0.0.1:7703 --http-listen 127.0.0.1:8700\n${SECURITY_HELP}`,
    );
  return withAlertOptions(withNodeSecurityOptions(cmd)).action(
    action(async (o) => {
      const node = await startCoordinator({
        id: o.id,
        listen: o.listen,
        ...(o.advertise ? { advertise: o.advertise } : {}),
        dataDir: o.data,
        participants: o.participants,
        coordinators: otherCoordinators(o.coordinators, o.id),
        defaultTimeoutMs: o.timeout,
        defaultProtocol: o.protocol,
        log: makeLogger(o.logLevel),
        ...retentionOf(o.retention),
        security: nodeSecurityFrom(o),
        alerts: alertOptionsFrom(o),
        httpListen: o.httpListen,
      }).catch((e: unknown) => {
        // The participants' shard map says otherwise: a usage error, not a crash.
        throw e instanceof ShardMapConflict ? new CliError(e.message, EXIT.usage) : e;
      });
      runUntilSignalled(node);
    }),
  );
}
