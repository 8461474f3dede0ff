import { hostname, userInfo } from 'node:os';
import { Command, Option } from '@commander-js/extra-typings';
import { ClusterAdmin, type PerNode } from '../client/clusterAdmin.js';
import type { TransactionView__Output } from '../rpc/generated/dtx/v1/TransactionView.js';
import { coordinatorOption } from './clientOptions.js';
import { toJson } from './format.js';
import { parseDurationMs, parseIntIn } from './parse.js';
import { dialSecurityFrom, withDialOptions, type TlsFlags } from './securityOptions.js';
import { action, CliError, EXIT } from './run.js';

async function withAdmin<T>(flags: TlsFlags & { coordinator: readonly string[] }, fn: (a: ClusterAdmin) => Promise<T>): Promise<T> {
  const admin = new ClusterAdmin(flags.coordinator, dialSecurityFrom(flags));
  try {
    return await fn(admin);
  } catch (e) {
    if (e instanceof CliError) throw e;
    const details = (e as { details?: string }).details;
    throw new CliError(details ?? (e as Error).message);
  } finally {
    admin.close();
  }
}

function age(ms: string): string {
  const s = Number(ms) / 1000;
  return s >= 120 ? `${Math.round(s / 60)}m` : `${s.toFixed(1)}s`;
}

function downLines(rows: PerNode<unknown>[]): string[] {
  return rows.filter((r) => !r.ok).map((r) => `${r.node.id || r.node.address} (${r.node.role}) DOWN: ${(r as { error: string }).error}`);
}

export function listCommand() {
  return withDialOptions(
    new Command('list')
      .description('unfinished transactions on every node: prepared (in doubt at a participant) or pending (at a coordinator)')
      .addOption(coordinatorOption())
      .addOption(new Option('--state <state>', 'prepared | pending | all').choices(['prepared', 'pending', 'all'] as const).default('all' as const))
      .option('--older-than <duration>', 'only those started at least this long ago (e.g. 30s, 5m)', parseDurationMs, 0)
      .option('--limit <n>', 'at most this many per node', parseIntIn(1, 1000), 100)
      .option('--json', 'print as JSON')
      .addHelpText('after', '\nExamples:\n  dtx txn list --state prepared --older-than 30s\n  dtx txn list --state pending --json'),
  ).action(
    action(async (flags) => {
      const rows = await withAdmin(flags, (a) => a.listTransactions(flags.state, flags.olderThan, flags.limit));
      const txns = rows.flatMap((r) => (r.ok ? r.value.txns : []));
      if (flags.json) {
        process.stdout.write(`${toJson({ txns, down: downLines(rows) })}\n`);
      } else {
        const lines = txns.map(
          (t) =>
            `${t.txnId.padEnd(24)} ${t.nodeId.padEnd(6)} ${t.phase.padEnd(13)} ${(t.protocol || '-').padEnd(4)} age ${age(t.ageMs).padStart(7)}  coordinator ${t.coordinator || '-'}  participants ${t.participants.join(',') || '-'}`,
        );
        const more = rows
          .filter((r) => r.ok && r.value.total > r.value.txns.length)
          .map((r) => `${r.node.id}: ${(r as { value: { total: number } }).value.total} in all (--limit)`);
        process.stdout.write(`${[...(lines.length ? lines : ['no unfinished transaction matches']), ...more, ...downLines(rows)].join('\n')}\n`);
      }
      if (rows.some((r) => !r.ok)) process.exitCode = EXIT.error;
    }),
  );
}

function describeView(v: TransactionView__Output): string {
  const lines = [`${v.nodeId} (${v.role}): ${v.known ? v.phase : 'knows nothing of it'}`];
  if (!v.known) return lines[0]!;
  const kv = (k: string, val: string | undefined): void => {
    if (val) lines.push(`    ${k.padEnd(13)} ${val}`);
  };
  kv('protocol', v.protocol);
  kv('coordinator', v.coordinator);
  kv('participants', v.participants.join(','));
  if (Number(v.ageMs) > 0) kv('age', age(v.ageMs));
  kv('votes', v.votes.map((x) => `${x.participant}=${x.vote || '?'}${x.acked ? '(acked)' : ''}`).join(' '));
  kv('decision', v.decision ? `${v.decision}${v.heuristic ? ` HEURISTIC (${v.heuristicBy})` : ''}` : '');
  kv('locks held', v.locksHeld.join(','));
  kv('waits for', v.waitsFor.join('; '));
  kv('blocked by', v.blockedBy);
  for (const r of v.records) kv(`record ${r.kind}`, r.summary);
  return lines.join('\n');
}

export function inspectCommand() {
  return withDialOptions(
    new Command('inspect')
      .description("each node's view of one transaction: votes, records, locks held, whom it waits for, which rule blocks it")
      .argument('<txn-id>')
      .addOption(coordinatorOption())
      .option('--json', 'print as JSON'),
  ).action(
    action(async (txnId, flags) => {
      const rows = await withAdmin(flags, (a) => a.inspect(txnId));
      const views = rows.flatMap((r) => (r.ok ? [r.value] : []));
      if (flags.json) process.stdout.write(`${toJson({ views, down: downLines(rows) })}\n`);
      else process.stdout.write(`${[...views.map(describeView), ...downLines(rows)].join('\n')}\n`);
      const failed = rows.find((r) => !r.ok);
      if (views.length === 0 && failed && !failed.ok) throw new CliError(failed.error);
      if (!views.some((v) => v.known)) throw new CliError(`no node knows transaction ${txnId}`);
    }),
  );
}

export function resolveCommand() {
  return withDialOptions(
    new Command('resolve')
      .description('settle a stuck transaction: acts only when the outcome is safe to decide; --heuristic forces it (recorded as heuristic)')
      .argument('<txn-id>')
      .addOption(coordinatorOption())
      .option('--commit', 'settle it as COMMITTED')
      .option('--abort', 'settle it as ABORTED')
      .requiredOption('--reason <text>', 'why (goes to the audit log with who and when)')
      .option('--heuristic', 'force the outcome even when no outcome is safe (it may contradict what the owner coordinator decided)')
      .option('--json', 'print as JSON')
      .addHelpText(
        'after',
        '\nSafe means: the protocol itself gives that outcome now (a decision record, a participant that committed or\naborted, a vote missing). When the owner coordinator is gone with every vote YES, nothing is safe: wait for it,\nor force with --heuristic after checking what the application needs.\n\nExamples:\n  dtx txn resolve t-42 --abort --reason "ticket 1234: client gave up"\n  dtx txn resolve t-42 --commit --heuristic --reason "c1 disk lost; payment confirmed by bank"',
      ),
  ).action(
    action(async (txnId, flags) => {
      if (!!flags.commit === !!flags.abort) throw new CliError('say --commit or --abort (exactly one)', EXIT.usage);
      const operator = `${userInfo().username}@${hostname()}`;
      const r = await withAdmin(flags, (a) =>
        a.resolve({ txnId, outcome: flags.commit ? 'COMMITTED' : 'ABORTED', reason: flags.reason, heuristic: flags.heuristic === true, operator }),
      );
      process.stdout.write(flags.json ? `${toJson(r)}\n` : `${r.txnId}: ${r.outcome}${r.heuristic ? ' (HEURISTIC)' : ''} — ${r.rule}\n`);
    }),
  );
}

export function auditCommand() {
  return withDialOptions(
    new Command('audit')
      .description("every node's audit log of manual actions (resolve, fault injection), oldest first")
      .addOption(coordinatorOption())
      .option('--since <duration>', 'only entries of the last DURATION (e.g. 1h)', parseDurationMs)
      .option('--limit <n>', 'the newest N entries', parseIntIn(1, 1000), 100)
      .option('--json', 'print as JSON'),
  ).action(
    action(async (flags) => {
      const since = flags.since ? Date.now() - flags.since : 0;
      const { entries, failed } = await withAdmin(flags, (a) => a.audit(since, flags.limit));
      if (flags.json) {
        process.stdout.write(`${toJson({ entries, down: downLines(failed) })}\n`);
      } else {
        const lines = entries.map(
          (e) =>
            `${new Date(Number(e.atMs)).toISOString()} ${e.nodeId.padEnd(5)} ${e.action.padEnd(22)} ${e.target} by ${e.actor}${e.reason ? ` — "${e.reason}"` : ''}: ${e.result}`,
        );
        process.stdout.write(`${[...(lines.length ? lines : ['the audit log is empty']), ...downLines(failed)].join('\n')}\n`);
      }
      if (failed.length > 0) process.exitCode = EXIT.error;
    }),
  );
}
