import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from '@commander-js/extra-typings';
import { DtxClient, op, type TxnResult } from '../client/dtxClient.js';
import type { ProtocolName, TxnOp } from '../protocol/types.js';
import { coordinatorOption } from './clientOptions.js';
import { formatResults, formatTxn, toJson } from './format.js';
import { parseDurationMs, parseInt64, parseIntIn, parseProtocol, parseTraceparentOption, PROTOCOL_HELP } from './parse.js';
import { dialSecurityFrom, withDialOptions, type TlsFlags } from './securityOptions.js';
import { action, CliError, EXIT } from './run.js';
import * as txnAdmin from './txnAdminCommands.js';

interface TxnFlags extends TlsFlags {
  coordinator: readonly string[];
  json?: true;
  id?: string;
  timeout?: number;
  retries?: number;
  protocol?: ProtocolName;
  traceparent?: string;
}

async function runAndPrint(flags: TxnFlags, ops: TxnOp[]): Promise<void> {
  const client = new DtxClient(flags.coordinator, { security: dialSecurityFrom(flags) });
  try {
    const r: TxnResult = await client.transact(ops, {
      ...(flags.id ? { txnId: flags.id } : { retries: flags.retries ?? 3 }),
      ...(flags.timeout ? { timeoutMs: flags.timeout } : {}),
      ...(flags.protocol ? { protocol: flags.protocol } : {}),
      ...(flags.traceparent ? { traceparent: flags.traceparent } : {}),
    });
    process.stdout.write(`${flags.json ? toJson(r) : formatTxn(r)}\n`);
    if (r.outcome !== 'COMMITTED') process.exitCode = EXIT.aborted;
  } finally {
    client.close();
  }
}

function txnSub(name: string, description: string) {
  return withDialOptions(
    new Command(name)
      .description(description)
      .addOption(coordinatorOption())
      .option('--id <txn-id>', 'transaction id (idempotency key: a retry with the same id never applies twice)')
      .option('--timeout <duration>', 'transaction timeout', parseDurationMs)
      .option('--retries <n>', 'retry lock conflicts this many times (default 3; not with --id)', parseIntIn(0, 50))
      .option('--protocol <p>', `${PROTOCOL_HELP} (default: the coordinator's)`, parseProtocol)
      .option(
        '--traceparent <tp>',
        "W3C trace context of the caller: the transaction's log lines and spans join its trace (default: a new trace)",
        parseTraceparentOption,
      )
      .option('--json', 'print the outcome as JSON'),
  );
}

/** JSON ops as in the proto: [{"key":"a","put":{"value":"1"}}, {"key":"b","add":{"delta":"5","min":{"value":"0"}}}] */
function opsFromJson(text: string): TxnOp[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new CliError(`ops are not valid JSON: ${(err as Error).message}`, EXIT.usage);
  }
  if (!Array.isArray(parsed)) throw new CliError('ops must be a JSON array', EXIT.usage);
  return parsed.map((raw, i): TxnOp => {
    const o = raw as Record<string, Record<string, unknown> | string | undefined>;
    const key = typeof o['key'] === 'string' ? o['key'] : '';
    const num = (v: unknown, what: string): bigint => {
      try {
        return parseInt64(String(v));
      } catch (e) {
        throw new CliError(`op ${i}: ${what}: ${(e as Error).message}`, EXIT.usage);
      }
    };
    const bound = (v: unknown): bigint | undefined =>
      v === undefined ? undefined : num(typeof v === 'object' && v !== null ? (v as { value: unknown }).value : v, 'bound');
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- user JSON: a scalar is expected; anything else is stored as String() prints it
    if (o['put'] && typeof o['put'] === 'object') return op.put(key, String(o['put']['value'] ?? ''));
    if (o['delete'] !== undefined) return op.delete(key);
    if (o['get'] !== undefined) return op.get(key);
    if (o['add'] && typeof o['add'] === 'object') {
      const a = o['add'];
      const min = bound(a['min']);
      const max = bound(a['max']);
      return op.add(key, num(a['delta'], 'delta'), { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) });
    }
    if (o['check'] && typeof o['check'] === 'object') {
      const c = o['check'];
      if (c['version'] !== undefined) return op.check(key, { kind: 'version', version: Number(num(c['version'], 'version')) });
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- user JSON: a scalar is expected; anything else is compared as String() prints it
      if (c['value'] !== undefined) return op.check(key, { kind: 'value', value: String(c['value']) });
      if (c['exists'] !== undefined) return op.check(key, { kind: 'exists', exists: Boolean(c['exists']) });
    }
    throw new CliError(`op ${i} (${key || 'no key'}): unknown op; use put, delete, add, get or check`, EXIT.usage);
  });
}

function bigintOption(value: string): bigint {
  return parseInt64(value);
}

/** `dtx txn put KEY VALUE...` */
function txnPutCommand() {
  return txnSub('put', 'set keys to values in one transaction: dtx txn put KEY VALUE [KEY VALUE...]')
    .argument('<pairs...>', 'KEY VALUE pairs')
    .action(
      action(async (pairs, flags) => {
        if (pairs.length % 2 !== 0) throw new CliError('put takes KEY VALUE pairs', EXIT.usage);
        const ops: TxnOp[] = [];
        for (let i = 0; i < pairs.length; i += 2) ops.push(op.put(pairs[i]!, pairs[i + 1]!));
        await runAndPrint(flags, ops);
      }),
    );
}

/** `dtx txn get KEY...` */
function txnGetCommand() {
  return txnSub('get', 'read keys inside a transaction')
    .argument('<keys...>')
    .action(action(async (keys, flags) => runAndPrint(flags, keys.map(op.get))));
}

/** `dtx txn delete KEY...` */
function txnDeleteCommand() {
  return txnSub('delete', 'delete keys in one transaction')
    .argument('<keys...>')
    .action(action(async (keys, flags) => runAndPrint(flags, keys.map(op.delete))));
}

/** `dtx txn add KEY DELTA` */
function txnAddCommand() {
  return txnSub('add', 'add DELTA to an integer key (missing = 0), bounded by --min/--max')
    .argument('<key>')
    .argument('<delta>', 'signed 64-bit integer', (v) => parseInt64(v))
    .option('--min <n>', 'abort if the result would be below n', bigintOption)
    .option('--max <n>', 'abort if the result would be above n', bigintOption)
    .action(
      action(async (key, delta, flags) => {
        const bounds = { ...(flags.min !== undefined ? { min: flags.min } : {}), ...(flags.max !== undefined ? { max: flags.max } : {}) };
        await runAndPrint(flags, [op.add(key, delta, bounds)]);
      }),
    );
}

/** `dtx txn transfer FROM TO AMOUNT` */
function txnTransferCommand() {
  return txnSub('transfer', 'move AMOUNT from one integer key to another, atomically')
    .argument('<from>')
    .argument('<to>')
    .argument('<amount>', 'a positive integer', (v) => {
      const n = parseInt64(v);
      if (n <= 0n) throw new InvalidArgumentError('amount must be positive');
      return n;
    })
    .option('--min <n>', 'lowest balance FROM may reach', bigintOption, 0n)
    .action(
      action(async (from, to, amount, flags) => {
        if (from === to) throw new CliError('transfer needs two different keys', EXIT.usage);
        await runAndPrint(flags, [op.add(from, -amount, { min: flags.min }), op.add(to, amount)]);
      }),
    );
}

/** `dtx txn exec FILE`: ops as JSON. */
function txnExecCommand() {
  return txnSub('exec', 'run ops given as JSON (a file path, or - for stdin)')
    .argument('<file>', 'JSON array of ops, e.g. [{"key":"a","put":{"value":"1"}},{"key":"b","add":{"delta":"-5","min":"0"}}]')
    .action(
      action(async (file, flags) => {
        const text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
        await runAndPrint(flags, opsFromJson(text));
      }),
    );
}

/** `dtx txn status TXN-ID`: the durable outcome. */
function txnStatusCommand() {
  return withDialOptions(
    new Command('status')
      .description('the durable outcome of a transaction id')
      .argument('<txn-id>')
      .addOption(coordinatorOption())
      .option('--json', 'print as JSON'),
  ).action(
    action(async (id, flags) => {
      const client = new DtxClient(flags.coordinator, { security: dialSecurityFrom(flags) });
      try {
        const r = await client.getTransaction(id);
        process.stdout.write(`${flags.json ? toJson(r) : `${formatTxn(r)}\n  participants: ${r.participants.join(', ') || '-'}`}\n`);
      } finally {
        client.close();
      }
    }),
  );
}

export function txnCommand() {
  return new Command('txn')
    .description('run a transaction against the coordinator')
    .addCommand(txnPutCommand())
    .addCommand(txnGetCommand())
    .addCommand(txnDeleteCommand())
    .addCommand(txnAddCommand())
    .addCommand(txnTransferCommand())
    .addCommand(txnExecCommand())
    .addCommand(txnStatusCommand())
    .addCommand(txnAdmin.listCommand())
    .addCommand(txnAdmin.inspectCommand())
    .addCommand(txnAdmin.resolveCommand());
}

export function readCommand() {
  return withDialOptions(
    new Command('read')
      .description('a consistent snapshot of several keys (a read-only transaction)')
      .argument('<keys...>')
      .addOption(coordinatorOption())
      .option('--json', 'print as JSON'),
  ).action(
    action(async (keys, flags) => {
      const client = new DtxClient(flags.coordinator, { security: dialSecurityFrom(flags) });
      try {
        const results = await client.read(keys);
        process.stdout.write(`${flags.json ? toJson(results) : formatResults(results)}\n`);
      } finally {
        client.close();
      }
    }),
  );
}
