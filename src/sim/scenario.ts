/**
 * Scripted scenarios on the simulator, in the manner of etcd raft's rafttest interaction
 * scripts: a small text says step by step what happens (clients, crashes, partitions, messages
 * held back or dropped, failpoints, time) and what must hold. The cluster is the one simulator's
 * (real runtimes, real storage layer, simulated network, disk and time); after the last step it
 * heals, loses power once, and every checker runs, as after a seed.
 *
 *   # comment                                  (also after a step)
 *   cluster participants=3 protocol=2pc [recent=N] [coordinatorRecent=N] [cacheKeys=N] [seed=S]
 *   submit t1 transfer @p1 @p2 5 [@p3 ...] [protocol=nb] [timeout=MS]   accounts: @p2 = p2's first, @p2.2 its second;
 *                                                            accounts after the amount are only read
 *   submit t2 audit [protocol=P]                             reads every account
 *   submit t4 read @p1 [@p2 ...]                             reads these accounts (read-only, as an audit)
 *   submit t3 put k@p1=v [x@p2=w ...]                         k@p1: a key named k… that p1 owns
 *   retry t1 | query t1                          the client sends Transact again | asks GetTransaction
 *   run MS                                       simulated time passes
 *   crash NODE [down=MS] [unsynced=lost|kept] | restart NODE   unsynced writes: partly lost as the seed draws, or all lost/kept
 *   pause NODE MS                                the node stalls (a GC pause): what falls due on it meanwhile runs when it resumes, in order
 *   partition A,B | C,D                          every link between the two groups is cut
 *   heal                                         partitions and holds end (held messages go)
 *   hold A->B [Method(txn)] | release A->B [Method(txn)] | drop A->B [Method(txn)] [count=N]
 *   dup A->B [Method(txn)] [count=N]             the message goes, a copy is held until `release` (default count=1)
 *   failpoint NODE PLACE                         the node crashes there (and stays down)
 *   disk NODE delay=MS                           from now on each of the node's writes takes MS longer (0: normal)
 *   expect t1 COMMITTED|ABORTED|unknown [code=CONFLICT] [results]   what the client was told;
 *                                              results: a Transact of it was answered COMMITTED with every op's result
 *   expect p1 t1 PREPARED|READ_ONLY|COMMITTED|ABORTED|...|none   the participant's view in memory
 *   expect p1 log t1 prepared|precommitted|committed|aborted|none   the participant's durable log
 *   expect c1 log t1 COMMITTED|ABORTED|none      the coordinator's durable decision
 */
import type { FailpointName } from '../runtime/env.js';
import { ownerOf } from '../protocol/routing.js';
import { PROTOCOLS, type ProtocolName, type TxnOp } from '../protocol/types.js';
import type { PlantedBug } from '../runtime/plantedBugs.js';
import { CKEY } from '../storage/coordinatorStore.js';
import { PKEY } from '../storage/participantStore.js';
import { decodeDecision, decodeParticipantOutcome, decodePrepare } from '../storage/recordCodec.js';
import type { ClientTxn } from './bankClients.js';
import type { SimResult } from './options.js';
import { Simulation, type ScenarioControl } from './simulator.js';

export interface ScenarioStep {
  line: number;
  text: string;
  words: string[];
  args: Map<string, string>;
}

export interface ScenarioResult {
  ok: boolean;
  /** Why it failed: an expectation (with its line) or an invariant the checkers caught. */
  failure?: string;
  sim: SimResult;
}

/** Splits a script into steps: `key=value` words become args, the rest stay in order. */
export function parseScenario(text: string): { cluster: ScenarioStep; steps: ScenarioStep[] } {
  const steps: ScenarioStep[] = [];
  text.split('\n').forEach((raw, i) => {
    const body = raw.replace(/#.*/, '').trim();
    if (!body) return;
    const words: string[] = [];
    const args = new Map<string, string>();
    for (const w of body.split(/\s+/)) {
      const m = /^([a-zA-Z]+)=(.*)$/.exec(w);
      if (m && !w.includes('@')) args.set(m[1]!, m[2]!);
      else words.push(w);
    }
    steps.push({ line: i + 1, text: body, words, args });
  });
  const cluster = steps.shift();
  if (!cluster || cluster.words[0] !== 'cluster') throw new Error('a scenario starts with a `cluster ...` line');
  return { cluster, steps };
}

const num = (s: ScenarioStep, key: string, dflt: number): number => {
  const v = s.args.get(key);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`line ${s.line}: ${key}=${v} is not a number`);
  return n;
};

const protocolArg = (s: ScenarioStep, dflt: ProtocolName): ProtocolName => {
  const p = s.args.get('protocol') ?? dflt;
  if (!(PROTOCOLS as readonly string[]).includes(p)) throw new Error(`line ${s.line}: unknown protocol ${p}`);
  return p as ProtocolName;
};

/**
 * Runs a scenario; `bug` plants a bug (to show the scenario catches what it is about); `seed`
 * replaces the cluster line's (a scenario must hold whatever the random delays).
 */
export async function runScenario(text: string, opts: { bug?: PlantedBug; traceLines?: number; seed?: number } = {}): Promise<ScenarioResult> {
  const { cluster, steps } = parseScenario(text);
  const protocol = protocolArg(cluster, '2pc');
  const sim = new Simulation({
    seed: opts.seed ?? num(cluster, 'seed', 1),
    participants: num(cluster, 'participants', 3),
    protocol,
    faults: false,
    clients: 0,
    lockClients: 0,
    traceLines: opts.traceLines ?? 400,
    livenessMs: num(cluster, 'liveness', 30_000),
    ...(opts.bug ? { bug: opts.bug } : {}),
    memory: {
      recentOutcomes: num(cluster, 'recent', 10_000),
      coordinatorRecent: num(cluster, 'coordinatorRecent', 10_000),
      cacheKeys: num(cluster, 'cacheKeys', 10_000),
    },
  });
  let failure: string | undefined;
  const result = await sim.runScript(async (ctl) => {
    const runner = new ScenarioRunner(ctl, protocol);
    for (const step of steps) {
      failure = await runner.step(step);
      if (failure || ctl.world.violation) return;
    }
  });
  if (!failure && result.violation) failure = `invariant ${result.violation.invariant}: ${result.violation.message}`;
  return { ok: failure === undefined, ...(failure ? { failure } : {}), sim: result };
}

class ScenarioRunner {
  constructor(
    private readonly ctl: ScenarioControl,
    private readonly protocol: ProtocolName,
  ) {}

  /** One step; returns why an expectation failed, if it did. */
  async step(s: ScenarioStep): Promise<string | undefined> {
    const { ctl } = this;
    const w = ctl.world;
    const [verb, ...rest] = s.words;
    w.log('sim', `SCRIPT line ${s.line}: ${s.text}`);
    switch (verb) {
      case 'submit':
        return this.submit(s, rest);
      case 'retry':
        ctl.txns.submit(this.txn(s, rest[0]));
        return;
      case 'query':
        ctl.txns.query(this.txn(s, rest[0]));
        return;
      case 'run':
        await w.drain(w.now + Number(rest[0]));
        return;
      case 'crash':
        ctl.crash(this.node(s, rest[0]), s.args.has('down') ? num(s, 'down', 0) : undefined, this.unsynced(s));
        return;
      case 'restart':
        await ctl.restart(this.node(s, rest[0]));
        return;
      case 'pause': {
        const n = this.node(s, rest[0]);
        const ms = Number(rest[1]);
        if (!(ms > 0)) throw new Error(`line ${s.line}: pause NODE MS`);
        n.pausedUntil = Math.max(n.pausedUntil, w.now + ms);
        w.log('nem', `PAUSE ${n.id} for ${ms}ms`);
        return;
      }
      case 'partition': {
        const [a, b] = rest
          .join(' ')
          .split('|')
          .map((g) => g.split(/[\s,]+/).filter(Boolean));
        if (!a?.length || !b?.length) throw new Error(`line ${s.line}: partition A,B | C,D`);
        ctl.net.cut(a.flatMap((x) => b.map((y): [string, string] => [x, y])));
        return;
      }
      case 'heal':
        ctl.net.heal();
        ctl.net.releaseAll();
        return;
      case 'hold':
      case 'drop':
      case 'dup':
      case 'release': {
        const [from, to] = this.link(s, rest[0]);
        const left = verb === 'drop' ? num(s, 'count', Infinity) : verb === 'dup' ? num(s, 'count', 1) : Infinity;
        if (verb === 'release') ctl.net.release(from, to, rest[1] ?? '');
        else ctl.net.addRule({ from, to, what: rest[1] ?? '', action: verb, left });
        return;
      }
      case 'failpoint':
        ctl.armFailpoint(this.node(s, rest[0]), rest[1] as FailpointName);
        return;
      case 'disk':
        this.node(s, rest[0]).writeDelayMs = num(s, 'delay', 0);
        return;
      case 'expect':
        return this.expect(s, rest);
      default:
        throw new Error(`line ${s.line}: unknown step "${verb}"`);
    }
  }

  private submit(s: ScenarioStep, [id, kind, ...words]: string[]): undefined {
    if (!id || !kind) throw new Error(`line ${s.line}: submit ID KIND ...`);
    const protocol = protocolArg(s, this.protocol);
    let ops: TxnOp[];
    let deltas = new Map<string, bigint>();
    switch (kind) {
      case 'transfer': {
        const [from, to, amount] = [this.account(s, words[0]), this.account(s, words[1]), BigInt(words[2] ?? '1')];
        ops = [
          { type: 'add', key: from, delta: -amount, min: 0n },
          { type: 'add', key: to, delta: amount },
          ...words.slice(3).map((a): TxnOp => ({ type: 'get', key: this.account(s, a) })),
        ];
        deltas = new Map([
          [from, -amount],
          [to, amount],
        ]);
        break;
      }
      case 'audit':
        ops = this.ctl.accounts.map((key) => ({ type: 'get', key }));
        break;
      case 'read':
        ops = words.map((a) => ({ type: 'get', key: this.account(s, a) }));
        break;
      case 'put':
        ops = words.map((kv) => {
          const [k, v] = kv.split('=');
          return { type: 'put', key: this.key(s, k ?? ''), value: v ?? '' };
        });
        break;
      default:
        throw new Error(`line ${s.line}: unknown transaction kind ${kind} (transfer, audit, read, put)`);
    }
    // A read is read-only as an audit is (its unforced record may be lost: it then reads as aborted).
    const ct = this.ctl.txns.newTxn({ client: 0, kind: kind === 'audit' || kind === 'read' ? 'audit' : 'transfer', ops, protocol, deltas, id });
    if (s.args.has('timeout')) ct.input.timeoutMs = num(s, 'timeout', 1000);
    // An audit told COMMITTED must have read one snapshot, as in a seed's run.
    if (kind === 'audit') ct.onOutcome = (done) => done.told === 'COMMITTED' && done.results && this.ctl.bank.checkAudit(done);
    this.ctl.txns.submit(ct);
    return undefined;
  }

  private expect(s: ScenarioStep, words: string[]): string | undefined {
    const ctl = this.ctl;
    const [who, second, third, fourth] = words;
    const fail = (what: string, got: string): string => `line ${s.line} (${s.text}): expected ${what}, got ${got}`;
    if (who && ctl.txns.txns.has(who)) {
      const ct = ctl.txns.txns.get(who)!;
      const told = ct.told ?? 'unknown';
      if (told !== second) return fail(`${who} told ${second}`, `${told}${ct.reason ? ` (${ct.code}: ${ct.reason})` : ''}`);
      const code = s.args.get('code');
      if (code && ct.code !== code) return fail(`code ${code}`, String(ct.code));
      if (third === 'results' && !ct.transactResults) return fail(`a Transact of ${who} answered COMMITTED with every op's result`, 'none');
      return;
    }
    const n = this.node(s, who);
    if (second === 'log') {
      const txn = third ?? '';
      const got = n.kind === 'coordinator' ? this.decision(n.id, txn) : this.participantLog(n.id, txn);
      return got === fourth ? undefined : fail(`${n.id}'s log to hold ${fourth} for ${txn}`, got);
    }
    const view = n.participant?.core.view(second ?? '') ?? 'none';
    return (view ?? 'none') === third ? undefined : fail(`${n.id} to see ${second} as ${third}`, String(view ?? 'none'));
  }

  private decision(node: string, txn: string): string {
    const raw = this.ctl.node(node).engine.durable.get(CKEY.decision(txn));
    return raw === undefined ? 'none' : decodeDecision(raw, { node, key: CKEY.decision(txn) }).outcome;
  }

  private participantLog(node: string, txn: string): string {
    const d = this.ctl.node(node).engine.durable;
    const o = d.get(PKEY.outcome(txn));
    if (o !== undefined) return decodeParticipantOutcome(o, { node, key: PKEY.outcome(txn) }).outcome.toLowerCase();
    const p = d.get(PKEY.prepare(txn));
    if (p !== undefined) return decodePrepare(p, { node, key: PKEY.prepare(txn) }).precommitted ? 'precommitted' : 'prepared';
    return 'none';
  }

  private unsynced(s: ScenarioStep): 'lost' | 'kept' | undefined {
    const v = s.args.get('unsynced');
    if (v === undefined || v === 'lost' || v === 'kept') return v;
    throw new Error(`line ${s.line}: unsynced=${v}: lost or kept`);
  }

  private txn(s: ScenarioStep, id: string | undefined): ClientTxn {
    const ct = id ? this.ctl.txns.txns.get(id) : undefined;
    if (!ct) throw new Error(`line ${s.line}: no transaction ${id} submitted`);
    return ct;
  }

  private node(s: ScenarioStep, id: string | undefined): ReturnType<ScenarioControl['node']> {
    if (!id) throw new Error(`line ${s.line}: which node?`);
    return this.ctl.node(id);
  }

  private link(s: ScenarioStep, spec: string | undefined): [string, string] {
    const m = /^(\w+)->(\w+)$/.exec(spec ?? '');
    if (!m) throw new Error(`line ${s.line}: expected FROM->TO, got ${spec}`);
    return [m[1]!, m[2]!];
  }

  /** `@p2` is p2's first account, `@p2.2` its second; a plain name is itself. */
  private account(s: ScenarioStep, spec: string | undefined): string {
    const m = /^@(\w+)(?:\.(\d+))?$/.exec(spec ?? '');
    if (!m) {
      if (spec && this.ctl.accounts.includes(spec)) return spec;
      throw new Error(`line ${s.line}: expected an account like @p1 or @p1.2, got ${spec}`);
    }
    const owned = this.ctl.accounts.filter((a) => ownerOf(a, [...this.ctl.participantIds]) === m[1]);
    const a = owned[Number(m[2] ?? '1') - 1];
    if (!a) throw new Error(`line ${s.line}: ${m[1]} has no account number ${m[2] ?? '1'}`);
    return a;
  }

  /** `name@p1`: the first of name, name1, name2, … that p1 owns. */
  private key(s: ScenarioStep, spec: string): string {
    const m = /^([^@]+)@(\w+)$/.exec(spec);
    if (!m) return spec;
    for (let i = 0; i < 10_000; i++) {
      const k = i === 0 ? m[1]! : `${m[1]}${i}`;
      if (ownerOf(k, [...this.ctl.participantIds]) === m[2]) return k;
    }
    throw new Error(`line ${s.line}: no key ${m[1]}… routes to ${m[2]}`);
  }
}
