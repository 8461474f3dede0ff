import { Command } from '@commander-js/extra-typings';
import { DtxClient } from '../client/dtxClient.js';
import { LocalCluster } from '../cluster/localCluster.js';
import { audit, openAccounts, prng, transferLoop, type BankOptions, type TransferCounts } from '../workload/bank.js';
import { parseAddress, parseDurationMs, parseIntIn } from './parse.js';
import { action, CliError } from './run.js';
import { dialSecurityFrom, withDialOptions } from './securityOptions.js';

export function demoCommand() {
  const demo = new Command('demo').description('scenarios that show what dtx guarantees');
  demo.addCommand(
    withDialOptions(
      new Command('bank')
        .description('concurrent transfers between accounts spread over the participants; the total never changes')
        .option('--target <host:port>', 'use a running cluster (default: start a temporary one)', parseAddress)
        .option('--accounts <n>', 'number of accounts', parseIntIn(2, 10_000), 20)
        .option('--initial <n>', 'opening balance of each account', parseIntIn(0, 1_000_000_000), 100)
        .option('--concurrency <n>', 'concurrent clients', parseIntIn(1, 1024), 8)
        .option('--duration <d>', 'how long to run', parseDurationMs, 10_000)
        .option('--seed <n>', 'PRNG seed', parseIntIn(0, 2 ** 31), 1),
    ).action(
      action(async (o) => {
        const cluster = o.target ? null : await LocalCluster.start({ participants: 3 });
        const address = o.target ?? cluster!.coordinatorAddress;
        const client = new DtxClient(address, { security: cluster ? cluster.dial : dialSecurityFrom(o) });
        const bank: BankOptions = { accounts: o.accounts, initial: BigInt(o.initial), prefix: `demo${Date.now()}` };
        const expected = bank.initial * BigInt(bank.accounts);
        try {
          await openAccounts(client, bank);
          process.stdout.write(`dtx demo bank: ${o.accounts} accounts x ${o.initial} on ${address}; total must stay ${expected}\n`);
          const counts: TransferCounts = { committed: 0, aborted: 0, insufficient: 0, failed: 0 };
          const end = Date.now() + o.duration;
          const random = prng(o.seed);
          const workers = Array.from({ length: o.concurrency }, () => transferLoop(client, bank, random, counts, () => Date.now() >= end));
          let violations = 0;
          const started = Date.now();
          const report = async () => {
            const a = await audit(client, bank);
            const ok = a.total === expected && a.min >= 0n;
            if (!ok) violations++;
            process.stdout.write(
              `  t=${((Date.now() - started) / 1000).toFixed(1)}s committed=${counts.committed} conflicts=${counts.aborted} ` +
                `insufficient=${counts.insufficient} errors=${counts.failed} total=${a.total} min=${a.min} ${ok ? 'ok' : 'VIOLATION'}\n`,
            );
          };
          const ticker = setInterval(() => void report().catch(() => undefined), 1000);
          await Promise.all(workers);
          clearInterval(ticker);
          await report();
          const secs = o.duration / 1000;
          process.stdout.write(
            `dtx demo bank: ${counts.committed} transfers in ${secs}s (${Math.round(counts.committed / secs)}/s), total held: ${violations === 0}\n`,
          );
          if (violations > 0) throw new CliError(`${violations} audits saw a wrong total`);
        } finally {
          client.close();
          await cluster?.destroy();
        }
      }),
    ),
  );
  return demo;
}
