import { Command, InvalidArgumentError, type OptionValues } from '@commander-js/extra-typings';
import cliProgress from 'cli-progress';
import { ShardsAdmin, type MembershipChange, type ShardProgress, type ShardsOverview } from '../client/shardsAdmin.js';
import { loadOf } from '../protocol/shardMap.js';
import { coordinatorOption } from './clientOptions.js';
import { toJson } from './format.js';
import { parseAddress, parseIntIn, parseNodeId } from './parse.js';
import { action } from './run.js';
import { dialSecurityFrom, withDialOptions } from './securityOptions.js';

/** "17", "3,9,12", "0-63" or a mix: shard numbers (checked against the map by the coordinator). */
export function parseShardList(value: string): number[] {
  const out: number[] = [];
  for (const part of value.split(',').map((s) => s.trim())) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new InvalidArgumentError(`expected shard numbers like 17, 3,9 or 0-63, got "${part}"`);
    const a = Number(m[1]);
    const b = m[2] !== undefined ? Number(m[2]) : a;
    if (b < a || b - a > 65_535) throw new InvalidArgumentError(`bad shard range "${part}"`);
    for (let s = a; s <= b; s++) out.push(s);
  }
  return out;
}

/** ID=HOST:PORT of a participant to add. */
export function parseMember(value: string): { id: string; address: string } {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected ID=HOST:PORT, got "${value}"`);
  return { id: parseNodeId(value.slice(0, eq)), address: parseAddress(value.slice(eq + 1)) };
}

/** Options every membership change takes: -c, TLS/token, the step size and the copy's rate limit. */
function withMoveOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(cmd: Command<A, O, G>) {
  return withDialOptions(
    cmd
      .addOption(coordinatorOption())
      .option('--shards-per-step <n>', 'shards moved together (one freeze, one copy, one epoch)', parseIntIn(1, 256), 8)
      .option('--max-keys-per-second <n>', 'rate limit of the copy (0: none)', parseIntIn(0, 100_000_000), 0)
      .option(
        '--full-speed',
        'copy without giving way to transactions (by default the copy works at most 40% of the time, and pauses, up to 600 ms at a time, while the coordinator commits under 75% of its level before the move)',
      )
      .option('--json', 'print the final progress as JSON'),
  );
}

/** Runs a change with a progress bar on stderr (a line every 5 s when it is not a terminal). */
async function runChange(
  flags: { coordinator: readonly string[]; shardsPerStep: number; maxKeysPerSecond: number; fullSpeed?: true; json?: true } & Parameters<
    typeof dialSecurityFrom
  >[0],
  change: MembershipChange,
): Promise<void> {
  const admin = new ShardsAdmin(flags.coordinator, dialSecurityFrom(flags));
  const bar = new cliProgress.SingleBar(
    {
      format: 'shards {bar} {value}/{total} | {keys} keys, {rate} keys/s | epoch {epoch} | {step}',
      stream: process.stderr,
      noTTYOutput: true,
      notTTYSchedule: 5000,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const show = (p: ShardProgress): void => {
    const payload = { keys: p.keysMoved, rate: Math.round(p.keysPerSecond), epoch: p.epoch, step: p.step.slice(0, 70) };
    if (!started && p.shardsTotal > 0) {
      bar.start(p.shardsTotal, p.shardsMoved, payload);
      started = true;
    } else if (started) {
      bar.update(p.shardsMoved, payload);
    } else {
      process.stderr.write(`dtx: ${p.step}\n`);
    }
  };
  try {
    const limits = { shardsPerStep: flags.shardsPerStep, maxKeysPerSecond: flags.maxKeysPerSecond, fullSpeed: flags.fullSpeed ?? false };
    const last = await admin.change(change, limits, show);
    if (started) bar.stop();
    if (flags.json) process.stdout.write(`${toJson(last)}\n`);
    else process.stdout.write(`done: ${last.shardsMoved} shard(s), ${last.keysMoved} key(s) moved, map epoch ${last.epoch}\n`);
  } finally {
    if (started) bar.stop();
    admin.close();
  }
}

export function printOverview(o: ShardsOverview): string {
  const load = loadOf(o.map);
  const lines = [`shard map epoch ${o.map.epoch}, ${o.map.owners.length} shards`];
  for (const m of o.map.members) lines.push(`  ${m.id.padEnd(8)} ${m.addr.padEnd(22)} ${String(load.get(m.id) ?? 0).padStart(5)} shards`);
  const moving = o.hosts.flatMap((h) => [
    ...h.frozen.map((f) => `  ${f.moveId}: ${f.shards.length} shard(s) ${f.from} → ${f.to} (frozen on ${h.nodeId})`),
    ...h.incoming.map((f) => `  ${f.moveId}: ${f.shards.length} shard(s) ${f.from} → ${f.to} (arriving on ${h.nodeId})`),
  ]);
  if (moving.length > 0) lines.push('moves in progress:', ...moving);
  const lagging = o.hosts.filter((h) => (h.map?.epoch ?? 0) < o.map.epoch).map((h) => `${h.nodeId} (epoch ${h.map?.epoch ?? 'none'})`);
  if (lagging.length > 0) lines.push(`behind the map: ${lagging.join(', ')}`);
  if (o.unreachable.length > 0) lines.push(`unreachable: ${o.unreachable.join('; ')}`);
  return lines.join('\n');
}

export function shardsCommand() {
  const shards = new Command('shards').description('the shard map: which participant serves each of the virtual shards keys hash to');
  shards.addCommand(
    withDialOptions(
      new Command('list')
        .description('show the map (epoch, shards per participant), moves in progress and participants behind it')
        .addOption(coordinatorOption())
        .option('--json', 'print the map and every participant view as JSON (owners[shard] = participant)'),
    ).action(
      action(async (flags) => {
        const admin = new ShardsAdmin(flags.coordinator, dialSecurityFrom(flags));
        try {
          const o = await admin.list();
          process.stdout.write(flags.json ? `${toJson(o)}\n` : `${printOverview(o)}\n`);
        } finally {
          admin.close();
        }
      }),
    ),
  );
  shards.addCommand(
    withMoveOptions(
      new Command('move')
        .description('move shards to a participant while transactions run (copy, then switch the map one epoch up)')
        .argument('<shards>', 'shard numbers: 17, 3,9,12 or 0-63', parseShardList)
        .argument('<to>', 'the participant id that will serve them', parseNodeId)
        .addHelpText('after', '\nExample:\n  dtx shards move 0-15 p4 --max-keys-per-second 50000'),
    ).action(action(async (list, to, flags) => runChange(flags, { kind: 'move', shards: list, to }))),
  );
  return shards;
}

export function addParticipantCommand() {
  return withMoveOptions(
    new Command('add-participant')
      .description('add a running, empty participant to the map and move shards to it until every participant has an even share')
      .argument('<member>', 'ID=HOST:PORT of the new participant (start it first: dtx participant --id ID --listen HOST:PORT --data DIR)', parseMember)
      .addHelpText(
        'after',
        '\nExample:\n  dtx participant --id p4 --listen 127.0.0.1:7704 --data ./data/p4 &\n  dtx cluster add-participant p4=127.0.0.1:7704',
      ),
  ).action(action(async (m, flags) => runChange(flags, { kind: 'add', id: m.id, address: m.address })));
}

export function removeParticipantCommand() {
  return withMoveOptions(
    new Command('remove-participant')
      .description('move every shard off a participant, then take it out of the map (refused while it holds in-doubt transactions)')
      .argument('<id>', 'the participant to drain and remove', parseNodeId)
      .addHelpText('after', '\nAfterwards the process can be stopped and its data directory deleted.'),
  ).action(action(async (id, flags) => runChange(flags, { kind: 'remove', id })));
}
