import { Command } from '@commander-js/extra-typings';
import { benchCommand } from './benchCommand.js';
import { chaosCommand } from './chaosCommand.js';
import { clusterCommand } from './clusterCommand.js';
import { demoCommand } from './demoCommand.js';
import { lockCommand } from './lockCommand.js';
import { coordinatorCommand, participantCommand } from './nodeCommands.js';
import { statusCommand } from './statusCommand.js';
import { simCommand } from './simCommand.js';
import { readCommand, txnCommand } from './txnCommands.js';

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

Exit codes: 0 ok, 1 error, 2 bad input, 3 transaction aborted.`,
  );

program.addCommand(clusterCommand());
program.addCommand(txnCommand());
program.addCommand(readCommand());
program.addCommand(statusCommand());
program.addCommand(demoCommand());
program.addCommand(chaosCommand());
program.addCommand(simCommand());
program.addCommand(benchCommand());
program.addCommand(lockCommand());
program.addCommand(coordinatorCommand());
program.addCommand(participantCommand());

// commander already printed its one-line message; usage errors exit 2, help/version 0.
type AnyCommand = { exitOverride(fn: (err: { exitCode: number }) => never): unknown; commands: readonly unknown[] };
function exitOnUsageError(cmd: AnyCommand): void {
  cmd.exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  for (const sub of cmd.commands) exitOnUsageError(sub as AnyCommand);
}
exitOnUsageError(program as unknown as AnyCommand);

await program.parseAsync(process.argv);
