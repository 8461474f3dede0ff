import { Command } from '@commander-js/extra-typings';
import { quietTlsServerNameWarning } from './quietWarnings.js';

quietTlsServerNameWarning();

const program = new Command('dtx')
  .description('dtx: distributed transactions over gRPC (two-phase commit, durable LevelDB logs)')
  .version('0.1.0')
  .showSuggestionAfterError()
  .addHelpText(
    'after',
    `
Quick start:
  dtx cluster up                      start 1 coordinator + 3 participants (data in ./data)
  dtx txn put alice 100 bob 100       write two keys atomically
  dtx txn transfer alice bob 30       move 30 from alice to bob (never below 0)
  dtx read alice bob                  a consistent snapshot
  dtx status                          every node, its role and in-doubt transactions
  dtx shards list                     which participant serves each shard of keys

Exit codes: 0 ok, 1 error, 2 bad input, 3 transaction aborted.`,
  );

const role = process.argv[2];
if (role === 'participant' || role === 'coordinator') {
  // A node process loads only what a node runs: starting fast matters for restarts.
  const nodes = await import('./nodeCommands.js');
  program.addCommand(role === 'participant' ? nodes.participantCommand() : nodes.coordinatorCommand());
} else {
  const [cluster, txn, status, demo, chaos, sim, bench, lock, nodes, certs, shards] = await Promise.all([
    import('./clusterCommand.js'),
    import('./txnCommands.js'),
    import('./statusCommand.js'),
    import('./demoCommand.js'),
    import('./chaosCommand.js'),
    import('./simCommand.js'),
    import('./benchCommand.js'),
    import('./lockCommand.js'),
    import('./nodeCommands.js'),
    import('./certsCommand.js'),
    import('./shardsCommand.js'),
  ]);
  program.addCommand(cluster.clusterCommand());
  program.addCommand(txn.txnCommand());
  program.addCommand(txn.readCommand());
  program.addCommand((await import('./txnAdminCommands.js')).auditCommand());
  program.addCommand(status.statusCommand());
  program.addCommand(demo.demoCommand());
  program.addCommand(chaos.chaosCommand());
  program.addCommand(sim.simCommand());
  program.addCommand(bench.benchCommand());
  program.addCommand(lock.lockCommand());
  program.addCommand(nodes.coordinatorCommand());
  program.addCommand(nodes.participantCommand());
  program.addCommand(certs.certsCommand());
  program.addCommand(shards.shardsCommand());
}

// commander already printed its one-line message; usage errors exit 2, help/version 0.
type AnyCommand = { exitOverride(fn: (err: { exitCode: number }) => never): unknown; commands: readonly unknown[] };
function exitOnUsageError(cmd: AnyCommand): void {
  cmd.exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  for (const sub of cmd.commands) exitOnUsageError(sub as AnyCommand);
}
exitOnUsageError(program as unknown as AnyCommand);

await program.parseAsync(process.argv);
