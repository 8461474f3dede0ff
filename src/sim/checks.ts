import type { DurableView } from '../protocol/commitProtocol.js';
import { rulesOf } from '../protocol/protocols/index.js';
import type { PrepareMessage } from '../protocol/participantTxn.js';
import { ownerOf } from '../protocol/routing.js';
import type { NodeId, Outcome, Vote } from '../protocol/types.js';
import type { TxnAnswer } from '../runtime/coordinatorRuntime.js';
import type { PeerMethod } from '../runtime/transport.js';
import { ownerOfTxn } from '../protocol/ownership.js';
import { CKEY } from '../storage/coordinatorStore.js';
import type { BatchOp } from '../storage/kvEngine.js';
import { PKEY } from '../storage/participantStore.js';
import { decodeDecision, decodeParticipantOutcome, decodePrepare, decodeStoredValue } from '../storage/recordCodec.js';
import { lockHistoryFindings } from '../workload/lockChaos.js';
import { INITIAL_BALANCE, type ClientTxn, type ClientTxns } from './bankClients.js';
import { LOCK_NAMES, lockResource, type LockClients } from './lockClients.js';
import type { SimNode } from './nodes.js';
import type { SimWorld } from './world.js';

const AT = (node: string, key: string) => ({ node: `simulated ${node}`, key });

/**
 * The simulator's checkers. They follow durable state as writes become durable (every engine
 * reports them), check persist-before-send at the moment a node answers, ask each transaction's
 * commit protocol whether a commit was justified (CommitProtocol), and at the end check
 * liveness, durability and the workloads' invariants against the final durable state.
 */
export class SimCheckers {
  readonly pOutcomes = new Map<string, Map<NodeId, Outcome>>();
  readonly cDecisions = new Map<string, Outcome>();
  private readonly fences = new Map<string, bigint>();

  constructor(
    private readonly w: SimWorld,
    private readonly o: {
      strict: boolean;
      coordinatorIds: string[];
      participantIds: string[];
      node: (id: string) => SimNode;
      txns: ClientTxns;
      accounts: ReadonlySet<string>;
      /** Where a key lives at the end (the newest shard map; default the first). */
      ownerOfKey?: (key: string) => string;
    },
  ) {}

  /** Participants whose prepare of a transaction held a write (where its commit must be applied). */
  private readonly writersSeen = new Map<string, Set<NodeId>>();

  private ownerOf(key: string): NodeId {
    return this.o.ownerOfKey?.(key) ?? ownerOf(key, this.o.participantIds);
  }

  /** The participants a YES-voted prepare names are the transaction's (shards move: routing at the start may be stale). */
  private notePrepare(node: SimNode, m: PrepareMessage): void {
    const ct = this.o.txns.txns.get(m.txn);
    if (!ct) return;
    if (m.participants.join() !== ct.participants.join()) ct.participants = [...m.participants].sort();
    if (m.ops.some((op) => op.type !== 'get')) {
      let set = this.writersSeen.get(m.txn);
      if (!set) this.writersSeen.set(m.txn, (set = new Set()));
      set.add(node.id);
    }
  }

  /** What the checkers know of durable state, as the protocols' commit rules ask it. */
  readonly durableView: DurableView = {
    coordinatorDecision: (txn) => this.cDecisions.get(txn),
    committedAt: (txn) => this.committedAt(txn),
    yesDurable: (p, txn) => this.yesDurable(p, txn),
    decidedFromPrecommit: (p, txn) => {
      const n = this.o.node(p);
      const raw = n.engine.durable.get(PKEY.prepare(txn));
      return n.participant?.core.view(txn) === 'COMMITTED' && raw !== undefined && decodePrepare(raw, AT(p, PKEY.prepare(txn))).precommitted === true;
    },
  };

  committedAt(txn: string): NodeId[] {
    return [...(this.pOutcomes.get(txn) ?? [])].filter(([, o]) => o === 'COMMITTED').map(([p]) => p);
  }

  /** `p`'s log durably holds its YES for `txn`: the prepare record, or the commit that replaced it. */
  yesDurable(p: NodeId, txn: string): boolean {
    const n = this.o.node(p);
    if (n.engine.durable.has(PKEY.prepare(txn))) return true;
    const raw = n.engine.durable.get(PKEY.outcome(txn));
    return raw !== undefined && decodeParticipantOutcome(raw, AT(p, PKEY.outcome(txn))).outcome === 'COMMITTED';
  }

  /** Whether a transaction is durably committed, by its protocol's rule. */
  durablyCommitted(ct: ClientTxn): boolean {
    return rulesOf(ct.protocol).isDurablyCommitted(this.durableView, ct.id, ct.participants);
  }

  private durableSummary(ct: ClientTxn): string {
    return (
      `the coordinator's durable decision is ${this.cDecisions.get(ct.id) ?? 'absent'}, committed at [${this.committedAt(ct.id).join(',')}], ` +
      `durable YES at [${ct.participants.filter((p) => this.yesDurable(p, ct.id)).join(',')}]`
    );
  }

  /** A node answered a call: a YES or a PreCommit ack may leave only once what it promises is durable. */
  onAnswer(node: SimNode, method: PeerMethod, req: unknown, res: unknown): void {
    if (method === 'prepare' && (res as Vote).kind === 'YES') this.notePrepare(node, req as PrepareMessage);
    if (!this.o.strict) return;
    if (method === 'prepare' && (res as Vote).kind === 'YES') {
      const txn = (req as PrepareMessage).txn;
      if (!this.yesDurable(node.id, txn)) this.w.fail('vote-before-durable', `${node.id} votes YES on ${txn} without a durable prepare record`);
    }
    if (method === 'precommit' && (res as { ok: boolean }).ok) {
      const txn = (req as { txn: string }).txn;
      const raw = node.engine.durable.get(PKEY.prepare(txn));
      if (raw !== undefined && decodePrepare(raw, AT(node.id, PKEY.prepare(txn))).precommitted) return;
      if (this.yesDurable(node.id, txn) && !node.engine.durable.has(PKEY.prepare(txn))) return; // committed
      // Committing: a commit decision was taken (and forced) elsewhere; p is behind it.
      if (node.participant?.core.view(txn) === 'COMMITTED') return;
      this.w.fail('precommit-before-durable', `${node.id} acknowledges PreCommit of ${txn} without a durable pre-committed record`);
    }
  }

  /** The coordinator answered a client: COMMITTED of a writing transaction must be durably committed already. */
  onClientAnswer(ct: ClientTxn, r: TxnAnswer): void {
    if (!this.o.strict || r.outcome !== 'COMMITTED' || ct.kind === 'audit' || this.durablyCommitted(ct)) return;
    this.w.fail('reply-before-durable', `client told COMMITTED for ${ct.id} (${ct.protocol}) while ${this.durableSummary(ct)}`);
  }

  /** Every write that becomes durable passes here: outcomes, balances and fences are checked as they land. */
  onDurable(node: SimNode, ops: readonly BatchOp[]): void {
    for (const op of ops) {
      if (op.type !== 'put') continue;
      if (this.o.coordinatorIds.includes(node.id)) {
        if (!op.key.startsWith(CKEY.decisionPrefix)) continue;
        const d = decodeDecision(op.value, AT(node.id, op.key));
        // Only the owner runs a transaction and writes its decision; the others forward.
        const owner = ownerOfTxn(d.txn, this.o.coordinatorIds);
        if (owner !== node.id) this.w.fail('single-owner', `${node.id} wrote a decision for ${d.txn}, which ${owner} owns`);
        this.onDecision(d.txn, d.outcome);
      } else if (op.key.startsWith(PKEY.outcomePrefix)) {
        const o = decodeParticipantOutcome(op.value, AT(node.id, op.key));
        // An abort of an empty vote (asked about an id it holds no op of: keys known and none)
        // says nothing of the outcome; with shards moving, the node may have been listed by an
        // older routing of the id.
        if (o.outcome === 'ABORTED' && o.keys !== undefined && o.keys.length === 0) continue;
        this.onParticipantOutcome(node.id, o.txn, o.outcome);
      } else if (op.key.startsWith(PKEY.fencePrefix)) {
        const mark = BigInt(decodeStoredValue(op.value, AT(node.id, op.key)).value ?? '0');
        const k = `${node.id}:${op.key}`;
        const before = this.fences.get(k) ?? 0n;
        if (mark < before) this.w.fail('fence-monotonic', `${node.id}: fence ${op.key} went down from ${before} to ${mark}`);
        this.fences.set(k, mark);
      } else if (op.key.startsWith(PKEY.dataPrefix) && this.o.accounts.has(PKEY.keyOfData(op.key))) {
        const v = decodeStoredValue(op.value, AT(node.id, op.key));
        if (v.value !== null && BigInt(v.value) < 0n) this.w.fail('non-negative', `${node.id}: ${op.key} = ${v.value} < 0`);
      }
    }
  }

  private onDecision(txn: string, outcome: Outcome): void {
    const prev = this.cDecisions.get(txn);
    if (prev && prev !== outcome) this.w.fail('decision-stable', `coordinator's durable decision of ${txn} changed from ${prev} to ${outcome}`);
    this.cDecisions.set(txn, outcome);
    const against = [...(this.pOutcomes.get(txn) ?? [])].filter(([, o]) => o !== outcome).map(([p]) => p);
    if (against.length > 0) {
      this.w.fail('atomicity', `${txn} durably ${outcome} at the coordinator but ${outcome === 'ABORTED' ? 'COMMITTED' : 'ABORTED'} at ${against.join(',')}`);
    }
  }

  private onParticipantOutcome(node: string, txn: string, outcome: Outcome): void {
    // A node asked about a transaction it is no participant of (a coordinator resolving an
    // id it has no record of asks every node) durably aborts it, so that a prepare of it can
    // never be answered YES there. That says nothing about the transaction's outcome.
    const ct = this.o.txns.txns.get(txn);
    if (!ct?.participants.includes(node)) return;
    let m = this.pOutcomes.get(txn);
    if (!m) this.pOutcomes.set(txn, (m = new Map<NodeId, Outcome>()));
    const prev = m.get(node);
    if (prev && prev !== outcome) this.w.fail('decision-stable', `${node}'s durable outcome of ${txn} changed from ${prev} to ${outcome}`);
    m.set(node, outcome);
    if (new Set(m.values()).size > 1) this.w.fail('atomicity', `${txn} is ${[...m].map(([p, x]) => `${x} at ${p}`).join(', ')}`);
    const decided = this.cDecisions.get(txn);
    if (decided && decided !== outcome) this.w.fail('atomicity', `${txn} is durably ${outcome} at ${node} but ${decided} at the coordinator`);
    if (outcome === 'COMMITTED') {
      const why = rulesOf(ct.protocol).commitUnjustified(this.durableView, txn, ct.participants);
      if (why) this.w.fail(why.rule, `${node} durably committed ${txn} (${ct.protocol}); ${why.missing}`);
    }
  }

  /** What is still unfinished once the faults healed and the liveness window passed (empty: all done). */
  unfinished(nodes: SimNode[]): string[] {
    const why: string[] = [];
    for (const n of nodes) {
      if (!n.up) {
        why.push(`${n.id} down`);
        continue;
      }
      const c = n.coordinator;
      if (c) {
        if (c.core.activeTxns > 0) why.push(`coordinator has ${c.core.activeTxns} active txns (in doubt: ${c.core.inDoubt().join(',')})`);
        const u = n.engine.entries(CKEY.unfinishedPrefix);
        if (u.length > 0) why.push(`coordinator has unfinished markers ${u.map(([k]) => k).join(',')}`);
      }
      const p = n.participant;
      if (p) {
        if (p.core.activeTxns > 0) why.push(`${n.id} has ${p.core.activeTxns} active txns (in doubt: ${p.core.inDoubt().join(',')})`);
        if (p.core.lockedKeys > 0) why.push(`${n.id} holds locks on ${p.core.lockedKeys} keys`);
        const prep = n.engine.entries(PKEY.preparePrefix);
        if (prep.length > 0) why.push(`${n.id} keeps prepare records ${prep.map(([k]) => k).join(',')}`);
      }
    }
    // Refused as outside the retention window is an end too (the client asked for longer than the
    // window): the logs, checked above and by the bank checks, settle what it did.
    const undecided = [...this.o.txns.txns.values()].filter((t) => t.told === null && !t.retired).map((t) => t.id);
    if (undecided.length > 0) why.push(`clients never learned the outcome of ${undecided.join(',')}`);
    return why;
  }

  /** Durability and atomicity of every writing transaction against the final durable state; returns the expected balances. */
  checkTransactions(liveness: boolean): Map<string, bigint> {
    const expected = new Map<string, bigint>([...this.o.accounts].map((k) => [k, INITIAL_BALANCE]));
    for (const t of this.o.txns.txns.values()) {
      if (t.kind === 'audit') continue;
      const writers = this.writersSeen.has(t.id)
        ? [...this.writersSeen.get(t.id)!]
        : [...new Set(t.input.ops.filter((op) => op.type !== 'get').map((op) => this.ownerOf(op.key)))];
      const committed = this.durablyCommitted(t);
      if (t.told === 'COMMITTED' && !committed)
        this.w.fail('committed-durable', `client told COMMITTED for ${t.id} (${t.protocol}); ${this.durableSummary(t)}`);
      const committedAt = writers.filter((p) => this.pOutcomes.get(t.id)?.get(p) === 'COMMITTED');
      if (t.told === 'ABORTED' && committedAt.length > 0)
        this.w.fail('aborted-not-applied', `client told ABORTED for ${t.id} (${t.code}); it is committed at ${committedAt.join(',')}`);
      if (!committed) continue;
      // Not applied although the participant considers the txn finished (or forgot it):
      // not a matter of time. (Still in progress there is a liveness matter.)
      const missing = writers.filter((p) => {
        // A record that came with a moved shard (written before the branch's prepare named p) counts too.
        if (committedAt.includes(p) || this.yesDurable(p, t.id)) return false;
        const view = this.o.node(p).participant?.core.view(t.id);
        return liveness || view === 'COMMITTED' || view === null;
      });
      if (missing.length > 0) {
        this.w.fail(
          t.told === 'COMMITTED' ? 'committed-durable' : 'committed-applied',
          `${t.id} (${t.protocol}) is durably COMMITTED${t.told === 'COMMITTED' ? ' (and told so)' : ''} but not applied at ${missing.join(',')}`,
        );
      }
      for (const [k, d] of t.deltas) expected.set(k, expected.get(k)! + d);
    }
    return expected;
  }

  /** The bank's final durable balances: their total, no balance below 0, exactly the committed transfers. */
  checkBalances(expected: Map<string, bigint>, total: bigint): string[] {
    let sum = 0n;
    const actual: string[] = [];
    const wrong: string[] = [];
    for (const k of this.o.accounts) {
      const bal = BigInt(this.durableValue(k) ?? '0');
      actual.push(`${k}=${bal}`);
      if (bal < 0n) this.w.fail('non-negative', `${k} = ${bal} < 0`);
      if (bal !== expected.get(k)) wrong.push(`${k}: ${bal}, expected ${expected.get(k)}`);
      sum += bal;
    }
    if (sum !== total) this.w.fail('bank-total', `durable balances sum to ${sum}, expected ${total}: ${actual.join(' ')}`);
    if (wrong.length > 0) this.w.fail('bank-final-state', `balances differ from opening + committed transfers: ${wrong.join('; ')}`);
    return actual;
  }

  /** The lock workload: no token twice, tokens in the resource's order, the resource holds exactly the committed writes. */
  checkLocks(locks: LockClients): void {
    const { twice, backwards } = lockHistoryFindings({ entries: locks.history.map((e, index) => ({ ...e, index, time: 0 })) });
    if (twice.length > 0) this.w.fail('lock-token-unique', `fencing tokens granted twice: ${twice.slice(0, 5).join(', ')}`);
    if (backwards.length > 0) this.w.fail('lock-order', `the resource accepted tokens out of order: ${backwards.slice(0, 3).join('; ')}`);
    for (const lock of LOCK_NAMES) {
      const writes = locks.writes.get(lock) ?? [];
      const committed = writes.filter((ct) => ct.told === 'COMMITTED').length;
      // Writes whose client was refused as outside the retention window before it learned the outcome: either.
      const retired = writes.filter((ct) => ct.told === null && ct.retired).length;
      const raw = this.durableRaw(lockResource(lock));
      const version = raw === undefined ? 0 : decodeStoredValue(raw, AT('owner', lockResource(lock))).version;
      if (version < committed || version > committed + retired)
        this.w.fail('lock-writes', `${lockResource(lock)} is at version ${version}, ${committed} fenced writes committed`);
    }
  }

  private durableRaw(key: string): string | undefined {
    return this.o.node(this.ownerOf(key)).engine.durable.get(PKEY.data(key));
  }

  private durableValue(key: string): string | null | undefined {
    const raw = this.durableRaw(key);
    return raw === undefined ? undefined : decodeStoredValue(raw, AT(this.ownerOf(key), PKEY.data(key))).value;
  }
}
