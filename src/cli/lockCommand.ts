import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { Command } from '@commander-js/extra-typings';
import { DtxError } from '../client/dtxClient.js';
import { LockClient, withLock } from '../client/locks.js';
import { coordinatorOption } from './clientOptions.js';
import { toJson } from './format.js';
import { parseDurationMs } from './parse.js';
import { dialSecurityFrom, withDialOptions } from './securityOptions.js';
import { action, CliError, EXIT } from './run.js';

/** How long a command gets after SIGTERM (lease lost) before SIGKILL. */
const STOP_GRACE_MS = 2000;

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = signal ? constants.signals[signal] : undefined;
  return 128 + (n ?? 1);
}

/** Runs `argv` while holding the lease; resolves with its exit code (1 if the lease was lost). */
async function runHolding(lc: LockClient, name: string, argv: string[], ttlMs: number, waitMs: number, owner: string): Promise<number> {
  return withLock(
    lc,
    name,
    (held) =>
      new Promise<number>((resolve, reject) => {
        const child = spawn(argv[0]!, argv.slice(1), {
          stdio: 'inherit',
          env: { ...process.env, DTX_LOCK_NAME: name, DTX_LOCK_TOKEN: held.token.toString(), DTX_LOCK_LEASE: held.leaseId },
        });
        let lost = false;
        let killTimer: NodeJS.Timeout | null = null;
        const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
        const onInt = forward('SIGINT');
        const onTerm = forward('SIGTERM');
        process.on('SIGINT', onInt);
        process.on('SIGTERM', onTerm);
        const onLost = (): void => {
          lost = true;
          process.stderr.write(`dtx: ${(held.signal.reason as Error).message}; stopping the command\n`);
          child.kill('SIGTERM');
          killTimer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        };
        held.signal.addEventListener('abort', onLost, { once: true });
        const cleanup = (): void => {
          held.signal.removeEventListener('abort', onLost);
          process.off('SIGINT', onInt);
          process.off('SIGTERM', onTerm);
          if (killTimer) clearTimeout(killTimer);
        };
        child.once('error', (err) => {
          cleanup();
          reject(new CliError(`cannot run ${argv[0]}: ${err.message}`));
        });
        child.once('exit', (code, signal) => {
          cleanup();
          resolve(lost ? EXIT.error : exitCodeOf(code, signal));
        });
      }),
    { ttlMs, waitMs, owner },
  );
}

/** `dtx lock run <name> -- <command...>`: runs a command while holding the lock. */
function lockRunCommand() {
  return withDialOptions(
    new Command('run')
      .description(
        'run a command while holding a lock (like flock / etcdctl lock): the lease is kept alive while it runs, ' +
          'its fencing token is exported as DTX_LOCK_TOKEN (and the name as DTX_LOCK_NAME), and the command is ' +
          "stopped if the lease is lost. Exits with the command's exit code; 3 if the lock stayed busy for --wait; " +
          '1 if the lease was lost.',
      )
      .argument('<name>', 'lock name')
      .argument('<command...>', 'the command and its arguments (after --)')
      .addOption(coordinatorOption())
      .option('--ttl <duration>', 'lease length (kept alive every ttl/3)', parseDurationMs, 10_000)
      .option('--wait <duration>', 'how long to wait for the lock (default: fail at once if held)', parseDurationMs, 0)
      .option('--owner <text>', 'shown by `dtx lock list`', `${process.env['USER'] ?? 'dtx'}@pid${process.pid}`),
  ).action(
    action(async (name, command, flags) => {
      if (command.length === 0) throw new CliError('lock run needs a command after --', EXIT.usage);
      const lc = new LockClient(flags.coordinator, 5000, dialSecurityFrom(flags));
      try {
        process.exitCode = await runHolding(lc, name, command, flags.ttl, flags.wait, flags.owner);
      } catch (err) {
        if (err instanceof DtxError && err.code === 'ABORTED') throw new CliError(`lock ${name} is busy: ${err.message}`, EXIT.aborted);
        throw err;
      } finally {
        lc.close();
      }
    }),
  );
}

/** `dtx lock list`: the locks the coordinator knows of. */
function lockListCommand() {
  return withDialOptions(
    new Command('list')
      .description('locks the coordinator knows of: held, waited for, or in lock-delay after a restart')
      .addOption(coordinatorOption())
      .option('--prefix <prefix>', 'only locks whose name starts with this', '')
      .option('--json', 'print as JSON'),
  ).action(
    action(async (flags) => {
      const lc = new LockClient(flags.coordinator, 5000, dialSecurityFrom(flags));
      try {
        const locks = await lc.list(flags.prefix);
        if (flags.json) {
          process.stdout.write(`${toJson(locks)}\n`);
          return;
        }
        if (locks.length === 0) {
          process.stdout.write('no locks held\n');
          return;
        }
        for (const l of locks) {
          const state = l.held
            ? `held by ${l.owner || '(anonymous)'}  token ${l.token}  expires in ${l.expiresInMs} ms`
            : l.lockDelayMs > 0
              ? `lock-delay ${l.lockDelayMs} ms (after a restart)`
              : 'free';
          process.stdout.write(`${l.name}  ${state}  waiters ${l.waiters}\n`);
        }
      } finally {
        lc.close();
      }
    }),
  );
}

/** `dtx lock describe <name>`: one lock in detail, as JSON. */
function lockDescribeCommand() {
  return withDialOptions(
    new Command('describe')
      .description('one lock: holder, token, remaining lease, waiters, lock-delay, and the last token issued')
      .argument('<name>')
      .addOption(coordinatorOption()),
  ).action(
    action(async (name, flags) => {
      const lc = new LockClient(flags.coordinator, 5000, dialSecurityFrom(flags));
      try {
        process.stdout.write(`${toJson(await lc.describe(name))}\n`);
      } finally {
        lc.close();
      }
    }),
  );
}

export function lockCommand() {
  return new Command('lock')
    .description('named locks with leases and fencing tokens (served by the coordinator)')
    .addCommand(lockRunCommand())
    .addCommand(lockListCommand())
    .addCommand(lockDescribeCommand());
}
