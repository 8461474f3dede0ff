import { Command } from '@commander-js/extra-typings';
import { ClusterAdmin } from '../client/clusterAdmin.js';
import type { DialSecurity } from '../rpc/dial.js';
import type { StatusResponse__Output } from '../rpc/generated/dtx/v1/StatusResponse.js';
import { ShardsAdmin } from '../client/shardsAdmin.js';
import { coordinatorOption } from './clientOptions.js';
import { printOverview } from './shardsCommand.js';
import { toJson } from './format.js';
import { parseAddress } from './parse.js';
import { dialSecurityFrom, withDialOptions } from './securityOptions.js';
import { action, CliError } from './run.js';

/** Who owns each in-doubt transaction (only the owner may presume its outcome), a few per node. */
function inDoubtLines(s: StatusResponse__Output): string {
  const shown = s.inDoubtOwners.slice(0, MAX_IN_DOUBT_SHOWN).map((t) => `\n         in doubt: ${t.txnId} (owner ${t.owner || '?'})`);
  const more =
    s.inDoubtOwners.length > MAX_IN_DOUBT_SHOWN ? `\n         ... and ${s.inDoubtOwners.length - MAX_IN_DOUBT_SHOWN} more (--json lists them all)` : '';
  return shown.join('') + more;
}

const MAX_IN_DOUBT_SHOWN = 5;

/** The shard map and the moves in progress, as `dtx shards list` shows them (or why not). */
async function shardSummary(coordinators: readonly string[], sec: DialSecurity): Promise<string> {
  const admin = new ShardsAdmin(coordinators, sec);
  try {
    return printOverview(await admin.list());
  } catch (err) {
    return `shard map: unavailable (${(err as Error).message})`;
  } finally {
    admin.close();
  }
}

export function statusCommand() {
  return withDialOptions(
    new Command('status')
      .description('show every node of the cluster: role, address, in-doubt transactions, counters')
      .addOption(coordinatorOption())
      .option('--node <host:port>', 'show one node only (any role)', parseAddress)
      .option('--json', 'print as JSON'),
  ).action(
    action(async (flags) => {
      const sec = dialSecurityFrom(flags);
      const admin = new ClusterAdmin(flags.node ? [flags.node] : flags.coordinator, sec);
      let rows: { id: string; role: string; address: string; status: StatusResponse__Output | null; error?: string }[];
      try {
        const nodes = flags.node ? [{ id: '', role: '', address: flags.node }] : await admin.nodes();
        rows = await Promise.all(
          nodes.map(async (n) => {
            try {
              const s = await admin.status(n.address);
              return { id: n.id || s.nodeId, role: n.role || s.role, address: n.address, status: s };
            } catch (err) {
              return { id: n.id || '?', role: n.role, address: n.address, status: null, error: (err as { details?: string }).details ?? 'unreachable' };
            }
          }),
        );
      } catch (err) {
        throw new CliError((err as Error).message);
      } finally {
        admin.close();
      }
      if (flags.node && !rows[0]!.status) throw new CliError(`cannot reach ${flags.node}: ${rows[0]!.error}`);
      if (flags.json) {
        process.stdout.write(`${toJson(rows)}\n`);
      } else {
        const lines = rows.map((r) => {
          if (!r.status) return `${r.id.padEnd(6)} ${r.role.padEnd(12)} ${r.address.padEnd(22)} DOWN  ${r.error}`;
          const c = Object.fromEntries(r.status.counters.map((x) => [x.name, x.value]));
          const summary =
            r.role === 'coordinator'
              ? `committed=${c['committed'] ?? 0} aborted=${c['aborted'] ?? 0} active=${c['activeTxns'] ?? 0}`
              : `prepared=${c['prepared'] ?? 0} committed=${c['committed'] ?? 0} locked-keys=${c['lockedKeys'] ?? 0}`;
          const up = `${Math.round(Number(r.status.uptimeMs) / 1000)}s`;
          const line = `${r.id.padEnd(6)} ${r.role.padEnd(12)} ${r.address.padEnd(22)} UP    pid ${r.status.pid} up ${up} in-doubt=${r.status.inDoubt.length} ${summary}`;
          return `${line}${inDoubtLines(r.status)}`;
        });
        process.stdout.write(`${lines.join('\n')}\n`);
        if (!flags.node) process.stdout.write(`\n${await shardSummary(flags.coordinator, sec)}\n`);
      }
      if (rows.some((r) => !r.status)) process.exitCode = 1;
    }),
  );
}
