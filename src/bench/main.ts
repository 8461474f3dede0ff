/**
 * A stand-alone entry for the bench command (`node dist/bench/main.js bench ...`), the same
 * command `dtx bench` registers; scripts/bench-peers falls back to it.
 */
import { Command } from '@commander-js/extra-typings';
import { benchCommand } from '../cli/benchCommand.js';

const program = new Command('dtx').addCommand(benchCommand());
program.exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
await program.parseAsync(process.argv);
