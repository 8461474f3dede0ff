import { DEFAULT_PROTOCOL } from '../protocol/protocols/index.js';
import { addParticipantCommand, removeParticipantCommand } from './shardsCommand.js';
import { Command } from '@commander-js/extra-typings';
import { DtxClient } from '../client/dtxClient.js';
import { LocalCluster } from '../cluster/localCluster.js';
import { parseIntIn, parseProtocol, PROTOCOL_HELP } from './parse.js';
import { action } from './run.js';

/** Shows the cluster serving end to end (one read-only transaction through every participant) and how to call it. */
async function announce(c: LocalCluster): Promise<void> {
  const client = new DtxClient(c.coordinatorAddress, { security: c.dial });
  const probe = c.participantNames.map((_, i) => `probe:${i}`);
  await client.read(probe);
  client.close();
  const tlsFlags = c.certDir ? ` --tls-ca ${c.certDir}/ca.pem --tls-cert ${c.certDir}/operator.pem --tls-key ${c.certDir}/operator-key.pem` : '';
  const all = c.coordinatorAddresses.join(',');
  process.stdout.write(
    `dtx: cluster serving on ${all}${c.certDir ? ' over TLS' : ''} (a read through all participants succeeded)\n` +
      `  try:  node bin/dtx.js txn put greeting hello -c ${all}${tlsFlags}\n` +
      `        node bin/dtx.js status -c ${c.coordinatorAddress}${tlsFlags}\n` +
      `  Ctrl-C stops the cluster.\n`,
  );
}

/** Prints the nodes, proves the cluster serves, reports nodes that exit, and stops it all on Ctrl-C. */
async function serveUntilSignalled(c: LocalCluster): Promise<void> {
  for (const n of c.nodes.values()) {
    const console = n.httpUrl && n.spec.role === 'coordinator' ? `  console ${n.httpUrl}/console` : '';
    const http = n.httpUrl ? `  metrics ${n.httpUrl}/metrics${console}` : '';
    process.stdout.write(`  ${n.spec.name.padEnd(4)} ${n.spec.role.padEnd(12)} ${n.address.padEnd(20)} pid ${n.pid}  log ${n.spec.logFile}${http}\n`);
  }
  await announce(c);
  let stopping = false;
  for (const n of c.nodes.values()) {
    const watch = setInterval(() => {
      if (!stopping && n.state === 'stopped') {
        clearInterval(watch);
        process.stdout.write(`dtx: ${n.spec.name} exited ${JSON.stringify(n.lastExit)}; see ${n.spec.logFile}\n`);
      }
    }, 500);
    watch.unref();
  }
  await new Promise<void>((resolve) => {
    const stop = () => {
      if (stopping) return;
      stopping = true;
      process.stdout.write('\ndtx: stopping the cluster...\n');
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await c.stop();
}

export function clusterCommand() {
  const cluster = new Command('cluster').description('run a local cluster of real node processes');
  cluster.addCommand(
    new Command('up')
      .description('start coordinators + participants in the foreground; Ctrl-C stops them (data is kept)')
      .option('-p, --participants <n>', 'number of participants', parseIntIn(1, 64), 3)
      .option(
        '--coordinators <n>',
        'number of coordinators (c1..cN, each forwarding to the owner of a transaction; clients may use any of them)',
        parseIntIn(1, 9),
        1,
      )
      .option('-d, --data <dir>', 'data directory (one subdirectory per node, logs in logs/)', './data')
      .option(
        '--base-port <port>',
        'first coordinator port; the other coordinators and then the participants take the next ones',
        parseIntIn(1024, 65000),
        7700,
      )
      .option('--host <host>', 'loopback address to bind', '127.0.0.1')
      .option('--protocol <p>', `default ${PROTOCOL_HELP}`, parseProtocol, DEFAULT_PROTOCOL)
      .option('--tls', 'run TLS with node certificates from a fresh development CA (in <data>/certs, with an operator certificate)')
      .option('--no-faults', 'start the nodes without --allow-faults (fault injection refused, as in production)')
      .option('--no-http', 'start the nodes without their metrics/health HTTP server (by default each node serves it on its gRPC port + 1000)')
      .addHelpText(
        'after',
        '\nRun it again on the same --data to restart the same cluster on its logs. Every launch shares a\n' +
          'cluster secret (<data>/certs/cluster-secret) so that fencing tokens cannot be forged.\n' +
          'Every node serves Prometheus metrics on its gRPC port + 1000 (c1 on 7700: http://127.0.0.1:8700/metrics).',
      )
      .action(
        action(async (o) => {
          const c = await LocalCluster.create({
            participants: o.participants,
            coordinators: o.coordinators,
            dataDir: o.data,
            basePort: o.basePort,
            host: o.host,
            coordinatorArgs: ['--protocol', o.protocol],
            tls: o.tls === true,
            allowFaults: o.faults,
            reflection: true,
            http: o.http,
          });
          const coordinators = `${o.coordinators} coordinator${o.coordinators > 1 ? 's' : ''}`;
          process.stdout.write(`dtx: starting ${coordinators} + ${o.participants} participants (${o.protocol}), data in ${c.dataDir}\n`);
          try {
            await c.startAll();
          } catch (err) {
            await c.stop();
            throw err;
          }
          await serveUntilSignalled(c);
          process.stdout.write('dtx: cluster stopped; data kept in ' + c.dataDir + '\n');
        }),
      ),
  );
  cluster.addCommand(addParticipantCommand());
  cluster.addCommand(removeParticipantCommand());
  return cluster;
}
