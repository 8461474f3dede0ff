import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvariantViolation } from '../../src/protocol/invariant.js';
import { cooperativeTermination, isInDoubt, logOnceTermination, threePhaseTermination, type TerminationVerdict } from '../../src/protocol/termination.js';
import { coordinatorResolution } from '../../src/protocol/resolution.js';
import type { NodeId, PeerState, ProtocolName } from '../../src/protocol/types.js';

/** `'p1=PREPARED p2=UNREACHABLE'` → Map. */
const view = (spec: string): Map<NodeId, PeerState> =>
  new Map(
    spec
      .split(' ')
      .filter(Boolean)
      .map((kv) => kv.split('=') as [NodeId, PeerState]),
  );

const decide = (outcome: 'COMMITTED' | 'ABORTED'): TerminationVerdict => ({ kind: 'decide', outcome });
const WAIT = { kind: 'wait' } as const;
type Recovered = Parameters<typeof threePhaseTermination>[2];
const NO_RECORD = 'coordinatorHasNoRecord' as const;
const ADOPTING = 'recovered in doubt; adopting an outcome, not deciding one';

describe('cooperativeTermination (2pc, Bernstein/Hadzilacos/Goodman)', () => {
  const table: [string, string, Partial<TerminationVerdict>][] = [
    ['a peer knows COMMITTED', 'p1=PREPARED p2=COMMITTED p3=PREPARED', decide('COMMITTED')],
    ['a peer knows ABORTED', 'p1=PREPARED p2=ABORTED', decide('ABORTED')],
    ['a peer that voted NO (or learned the abort) answers ABORTED', 'p1=PREPARED p2=PREPARED p3=ABORTED', decide('ABORTED')],
    // 2pc asks without abortIfUnvoted now: an unvoted peer answers PREPARING, one that never saw
    // the txn (or forgot it) UNKNOWN; neither decides anything
    ['a peer that has not voted (PREPARING): blocked', 'p1=PREPARED p2=PREPARING', { kind: 'wait', why: 'every participant is uncertain' }],
    ['a peer that never saw it or forgot it (UNKNOWN): blocked', 'p1=PREPARED p2=UNKNOWN p3=UNREACHABLE', { kind: 'wait', why: 'uncertain; unreachable: p3' }],
    ['a decided peer is enough even if others are unreachable', 'p1=PREPARED p2=UNREACHABLE p3=COMMITTED', decide('COMMITTED')],
    ['every participant uncertain: blocked', 'p1=PREPARED p2=PREPARED', { kind: 'wait', why: 'every participant is uncertain' }],
    [
      'uncertain and some unreachable: blocked, naming them',
      'p1=PREPARED p2=UNREACHABLE p3=UNREACHABLE',
      { kind: 'wait', why: 'uncertain; unreachable: p2,p3' },
    ],
    ['read-only peers know nothing either', 'p1=PREPARED p2=READ_ONLY', { kind: 'wait' }],
    ['alone (no peers): blocked', 'p1=PREPARED', { kind: 'wait' }],
  ];
  it.each(table)('%s', (_name, spec, expected) => {
    expect(cooperativeTermination(view(spec))).toMatchObject(expected);
  });
});

describe('logOnceTermination (nb, Cornus)', () => {
  const table: [string, string, Partial<TerminationVerdict>][] = [
    ['every log holds YES: committed', 'p1=PREPARED p2=PREPARED p3=PREPARED', decide('COMMITTED')],
    ['YES in p state counts as YES', 'p1=PREPARED p2=PRECOMMITTED', decide('COMMITTED')],
    ['alone with a YES: committed', 'p1=PREPARED', decide('COMMITTED')],
    ['any log holds ABORT: aborted', 'p1=PREPARED p2=ABORTED p3=PREPARED', decide('ABORTED')],
    ['ABORT decides even if a log is unreachable', 'p1=PREPARED p2=UNREACHABLE p3=ABORTED', decide('ABORTED')],
    ['a peer already committed', 'p1=PREPARED p2=COMMITTED', decide('COMMITTED')],
    ['a log out of reach blocks the decision', 'p1=PREPARED p2=UNREACHABLE p3=PREPARED', { kind: 'wait', why: 'vote logs unreachable: p2' }],
  ];
  it.each(table)('%s', (_name, spec, expected) => {
    expect(logOnceTermination(view(spec))).toMatchObject(expected);
  });

  it.each(['UNKNOWN', 'PREPARING', 'READ_ONLY'] as const)(
    'a log answering %s after LogOnce(ABORT) decides nothing (a peer broke the rule: wait, never crash)',
    (s) => {
      expect(logOnceTermination(view(`p1=PREPARED p2=${s}`))).toEqual({ kind: 'wait', why: `no vote in p2=${s} after LogOnce(ABORT)` });
    },
  );
});

describe('threePhaseTermination (Skeen)', () => {
  const table: [string, NodeId, string, Recovered, Partial<TerminationVerdict>][] = [
    ['any aborted → abort', 'p1', 'p1=PRECOMMITTED p2=ABORTED p3=PREPARED', false, decide('ABORTED')],
    ['any committed → commit', 'p2', 'p1=UNREACHABLE p2=PREPARED p3=COMMITTED', false, decide('COMMITTED')],
    ['a decided peer is followed even by a non-backup', 'p3', 'p1=PREPARED p2=ABORTED p3=PREPARED', false, decide('ABORTED')],
    ['not the lowest live id: wait for the backup', 'p2', 'p1=PREPARED p2=PREPARED p3=PREPARED', false, { kind: 'wait', why: 'backup coordinator is p1' }],
    ['the lowest id is down: the next one leads', 'p2', 'p1=UNREACHABLE p2=PREPARED p3=PREPARED', false, decide('ABORTED')],
    ['all uncertain (w) → abort', 'p1', 'p1=PREPARED p2=PREPARED p3=PREPARED', false, decide('ABORTED')],
    ['all uncertain, some down (presumed crashed) → abort', 'p1', 'p1=PREPARED p2=UNREACHABLE p3=UNREACHABLE', false, decide('ABORTED')],
    [
      'some pre-committed → pre-commit the uncertain (self included)',
      'p1',
      'p1=PREPARED p2=PRECOMMITTED p3=PREPARED',
      false,
      { kind: 'precommit', uncertain: ['p1', 'p3'] },
    ],
    ['backup pre-committed, others uncertain', 'p1', 'p1=PRECOMMITTED p2=PREPARED p3=UNREACHABLE', false, { kind: 'precommit', uncertain: ['p2'] }],
    ['all pre-committed → nobody to pre-commit (commit)', 'p1', 'p1=PRECOMMITTED p2=PRECOMMITTED', false, { kind: 'precommit', uncertain: [] }],
    ['alone and pre-committed', 'p1', 'p1=PRECOMMITTED', false, { kind: 'precommit', uncertain: [] }],
    // Skeen's recovery rule: a participant back from a crash in doubt, whose coordinator did not
    // say it has no record (recovered = true), adopts an outcome and never decides one: the
    // coordinator may have committed at its precommit timeout while this participant was down.
    ['recovered and someone unreachable → wait', 'p1', 'p1=PREPARED p2=PREPARED p3=UNREACHABLE', true, { kind: 'wait', why: ADOPTING }],
    ['recovered pre-committed and someone unreachable → wait', 'p1', 'p1=PRECOMMITTED p2=UNREACHABLE', true, { kind: 'wait', why: ADOPTING }],
    ['recovered with a complete view still only adopts', 'p1', 'p1=PREPARED p2=PREPARED', true, { kind: 'wait', why: ADOPTING }],
    ['recovered, complete view, some pre-committed: still only adopts', 'p1', 'p1=PRECOMMITTED p2=PREPARED', true, { kind: 'wait', why: ADOPTING }],
    ['recovered but not the backup: waits (adopting)', 'p2', 'p1=PREPARED p2=PREPARED', true, { kind: 'wait', why: ADOPTING }],
    ['recovered, a peer decided: follow it even with others down', 'p1', 'p1=PREPARED p2=COMMITTED p3=UNREACHABLE', true, decide('COMMITTED')],
    ['recovered, a peer aborted: follow it', 'p2', 'p1=UNREACHABLE p2=PRECOMMITTED p3=ABORTED', true, decide('ABORTED')],
    // The coordinator answered UNDECIDED (no record): the recovered participant may lead, but
    // only with a complete view.
    [
      'no record at the coordinator, someone unreachable → wait',
      'p1',
      'p1=PREPARED p2=PREPARED p3=UNREACHABLE',
      NO_RECORD,
      { kind: 'wait', why: 'recovered in doubt; waiting to hear from p3' },
    ],
    [
      'no record at the coordinator, pre-committed, someone unreachable → wait',
      'p1',
      'p1=PRECOMMITTED p2=UNREACHABLE',
      NO_RECORD,
      { kind: 'wait', why: 'recovered in doubt; waiting to hear from p2' },
    ],
    ['no record at the coordinator, complete view: leads as usual', 'p1', 'p1=PREPARED p2=PREPARED', NO_RECORD, decide('ABORTED')],
    [
      'no record at the coordinator, complete view, some pre-committed',
      'p1',
      'p1=PRECOMMITTED p2=PREPARED',
      NO_RECORD,
      { kind: 'precommit', uncertain: ['p2'] },
    ],
    [
      'no record at the coordinator, not the backup: wait for it',
      'p2',
      'p1=PREPARED p2=PREPARED',
      NO_RECORD,
      { kind: 'wait', why: 'backup coordinator is p1' },
    ],
    [
      'no record at the coordinator, a peer decided: follow it even with others down',
      'p1',
      'p1=PREPARED p2=COMMITTED p3=UNREACHABLE',
      NO_RECORD,
      decide('COMMITTED'),
    ],
    ['no record at the coordinator, alone: leads', 'p1', 'p1=PREPARED', NO_RECORD, decide('ABORTED')],
  ];
  it.each(table)('%s', (_name, self, spec, recovered, expected) => {
    // NO_RECORD rows: every participant recovered (a total failure), so the lowest live one leads.
    const m = view(spec);
    expect(threePhaseTermination(self, m, recovered, recovered === NO_RECORD ? new Set(m.keys()) : new Set())).toEqual(expect.objectContaining(expected));
  });

  it('participants that recovered in doubt are left out of the backup election', () => {
    const m = view('p1=PREPARED p2=PREPARED p3=PREPARED');
    // p1 recovered (it only adopts): p2, the lowest participant that did not crash, leads.
    expect(threePhaseTermination('p2', m, false, new Set(['p1']))).toEqual(decide('ABORTED'));
    expect(threePhaseTermination('p3', m, false, new Set(['p1']))).toEqual({ kind: 'wait', why: 'backup coordinator is p2' });
    // Even told by the coordinator that it has no record, p1 defers to them.
    expect(threePhaseTermination('p1', m, NO_RECORD, new Set())).toEqual({ kind: 'wait', why: 'backup coordinator is p2' });
  });

  // regression (threePhaseTermination, recovered = true): a recovered participant that heard from
  // every participant used to lead; if each one answering is uncertain because it crashed before
  // its PreCommit arrived, the coordinator may already have committed at its precommit timeout.
  // Alone (a one-participant txn) it decided ABORTED.
  it('regression: recovered, uncertain and alone: waits (the coordinator may have committed at its precommit timeout)', () => {
    expect(threePhaseTermination('p1', view('p1=PREPARED'), true)).toMatchObject(WAIT);
    expect(threePhaseTermination('p1', view('p1=PRECOMMITTED'), true)).toMatchObject(WAIT);
  });

  it('its own state must be in the view (a bug here); a live peer in an unexpected state decides nothing (input from outside)', () => {
    expect(() => threePhaseTermination('p1', view('p2=PREPARED'), false)).toThrow(/without its own state/);
    expect(() => threePhaseTermination('p1', view('p1=UNREACHABLE p2=PREPARED'), false)).toThrow(InvariantViolation);
    expect(threePhaseTermination('p1', view('p1=PREPARED p2=UNKNOWN'), false)).toEqual({ kind: 'wait', why: 'unexpected states p2=UNKNOWN' });
  });

  it('documents the known limit: a partition {A in p} | {B, C in w} decides both ways', () => {
    // "All uncertain → abort" assumes unreachable means crashed. Across a partition each side
    // follows the rules and they disagree (why E3PC exists). Plain 3pc is shipped anyway.
    const sideB = threePhaseTermination('B', view('A=UNREACHABLE B=PREPARED C=PREPARED'), false);
    const sideA = threePhaseTermination('A', view('A=PRECOMMITTED B=UNREACHABLE C=UNREACHABLE'), false);
    expect(sideB).toEqual(decide('ABORTED'));
    expect(sideA).toEqual({ kind: 'precommit', uncertain: [] }); // → commit
  });
});

type Answer = { state: PeerState; protocol: ProtocolName | null; participants: NodeId[] };
const ans = (state: PeerState, protocol: ProtocolName | null = null, participants: NodeId[] = []): Answer => ({ state, protocol, participants });
const P3 = ['p1', 'p2', 'p3'];

describe('coordinatorResolution (an id the coordinator has no record of)', () => {
  const table: [string, [NodeId, Answer][], 'COMMITTED' | 'ABORTED' | 'PENDING'][] = [
    [
      'a participant aborted it (e.g. had not voted, aborted when asked)',
      [
        ['p1', ans('ABORTED')],
        ['p2', ans('PREPARED', '3pc', P3)],
      ],
      'ABORTED',
    ],
    [
      'a participant committed it',
      [
        ['p1', ans('COMMITTED')],
        ['p2', ans('PRECOMMITTED', '3pc', P3)],
      ],
      'COMMITTED',
    ],
    [
      '2pc in doubt: no commit record means it never committed',
      [
        ['p1', ans('PREPARED', '2pc', ['p1', 'p2'])],
        ['p2', ans('UNREACHABLE')],
      ],
      'ABORTED',
    ],
    ['in doubt without a protocol reads as 2pc', [['p1', ans('PREPARED', null, ['p1'])]], 'ABORTED'],
    [
      'only read-only (2pc) branches: aborted',
      [
        ['p1', ans('READ_ONLY', '2pc', ['p1', 'p2'])],
        ['p2', ans('UNREACHABLE')],
      ],
      'ABORTED',
    ],
    [
      'nobody reachable: pending',
      [
        ['p1', ans('UNREACHABLE')],
        ['p2', ans('UNREACHABLE')],
      ],
      'PENDING',
    ],
    ['nobody knows anything: pending', [['p1', ans('UNKNOWN')]], 'PENDING'],
    [
      '3pc in doubt: only the participants may decide',
      [
        ['p1', ans('PRECOMMITTED', '3pc', ['p1', 'p2'])],
        ['p2', ans('PREPARED', '3pc', ['p1', 'p2'])],
      ],
      'PENDING',
    ],
    [
      'nb: every listed log holds YES → committed',
      [
        ['p1', ans('PREPARED', 'nb', ['p1', 'p2'])],
        ['p2', ans('PREPARED', 'nb', ['p1', 'p2'])],
        ['p3', ans('UNREACHABLE')],
      ],
      'COMMITTED',
    ],
    [
      'nb: a listed log unreachable → pending',
      [
        ['p1', ans('PREPARED', 'nb', ['p1', 'p2'])],
        ['p2', ans('UNREACHABLE')],
      ],
      'PENDING',
    ],
    ['nb: a listed log never asked → pending', [['p1', ans('PREPARED', 'nb', ['p1', 'p9'])]], 'PENDING'],
    ['nb: an empty participant list proves nothing', [['p1', ans('PREPARED', 'nb', [])]], 'PENDING'],
    // regression (clusterSim seed 2143): every node is asked, and one that never took part aborts
    // its empty vote when asked; once someone names the participants only theirs count, and a
    // COMMITTED from anyone wins
    [
      "a non-participant's ABORTED does not outvote a participant's COMMITTED",
      [
        ['p1', ans('COMMITTED')],
        ['p2', ans('PRECOMMITTED', '3pc', ['p1', 'p2'])],
        ['p3', ans('ABORTED')],
      ],
      'COMMITTED',
    ],
    [
      "nb: a non-participant's ABORTED is not counted",
      [
        ['p1', ans('PREPARED', 'nb', ['p1', 'p2'])],
        ['p2', ans('PREPARED', 'nb', ['p1', 'p2'])],
        ['p3', ans('ABORTED')],
      ],
      'COMMITTED',
    ],
    [
      "3pc: a non-participant's ABORTED is not counted",
      [
        ['p1', ans('PREPARED', '3pc', ['p1', 'p2'])],
        ['p2', ans('UNREACHABLE')],
        ['p3', ans('ABORTED')],
      ],
      'PENDING',
    ],
    [
      'a listed participant that aborted still decides',
      [
        ['p1', ans('PREPARED', 'nb', ['p1', 'p2'])],
        ['p2', ans('ABORTED', 'nb', ['p1', 'p2'])],
        ['p3', ans('ABORTED')],
      ],
      'ABORTED',
    ],
    [
      'a listed participant that never saw it (aborted when asked) decides too',
      [
        ['p1', ans('PREPARED', 'nb', ['p1', 'p2'])],
        ['p2', ans('ABORTED')],
        ['p3', ans('UNREACHABLE')],
      ],
      'ABORTED',
    ],
    [
      "a 2pc read-only participant's answer is counted, a non-participant's is not",
      [
        ['p1', ans('READ_ONLY', '2pc', ['p1', 'p2'])],
        ['p2', ans('UNREACHABLE')],
        ['p3', ans('UNKNOWN')],
      ],
      'ABORTED',
    ],
  ];
  it.each(table)('%s', (_name, answers, expected) => {
    expect(coordinatorResolution(new Map(answers), true)).toBe(expected);
  });

  // regression (clusterSim EXPLORE['nbHeavy'] seed 189, EXPLORE['3pcHeavy'] seed 370): when no
  // answer names the participants (the real ones are all UNREACHABLE), the ABORTED of a node that
  // never took part (asked with abortIfUnvoted, it aborted its empty vote) used to decide, fencing
  // an nb/3pc transaction its participants had committed by their own termination.
  it("regression: a non-participant's ABORTED decides nothing when the participants are out of reach", () => {
    expect(
      coordinatorResolution(
        new Map([
          ['p1', ans('ABORTED')],
          ['p2', ans('UNREACHABLE')],
          ['p3', ans('UNREACHABLE')],
        ]),
        true,
      ),
    ).toBe('PENDING');
    expect(
      coordinatorResolution(
        new Map([
          ['p1', ans('ABORTED')],
          ['p2', ans('UNKNOWN')],
          ['p3', ans('UNREACHABLE')],
        ]),
        true,
      ),
    ).toBe('PENDING');
    // a COMMITTED still wins, and with everyone reachable an ABORTED still decides
    expect(
      coordinatorResolution(
        new Map([
          ['p1', ans('COMMITTED')],
          ['p2', ans('UNREACHABLE')],
        ]),
        true,
      ),
    ).toBe('COMMITTED');
    expect(
      coordinatorResolution(
        new Map([
          ['p1', ans('ABORTED')],
          ['p2', ans('UNKNOWN')],
        ]),
        true,
      ),
    ).toBe('ABORTED');
  });
});

describe('isInDoubt', () => {
  it('is true exactly for PREPARED and PRECOMMITTED', () => {
    const all: PeerState[] = ['UNKNOWN', 'PREPARING', 'PREPARED', 'PRECOMMITTED', 'READ_ONLY', 'COMMITTED', 'ABORTED', 'UNREACHABLE'];
    expect(all.filter(isInDoubt)).toEqual(['PREPARED', 'PRECOMMITTED']);
  });
});

// ------------------------------------------------------------------ properties

/** The states a peer can answer to an abort-if-unvoted query (never "not yet voted"). */
const answered = fc.constantFrom<PeerState>('PREPARED', 'PRECOMMITTED', 'COMMITTED', 'ABORTED', 'UNREACHABLE');
/** A view of 1..5 participants p1..pN; `self` is p<k>, never UNREACHABLE to itself nor decided in the 3pc case. */
const views = fc
  .array(answered, { minLength: 1, maxLength: 5 })
  .chain((states) =>
    fc.record({ states: fc.constant(states), selfIndex: fc.nat({ max: states.length - 1 }), recovered: fc.constantFrom<Recovered>(false, true, NO_RECORD) }),
  )
  .map(({ states, selfIndex, recovered }) => {
    const m = new Map(states.map((s, i) => [`p${i + 1}`, s] as [NodeId, PeerState]));
    const self = `p${selfIndex + 1}`;
    if (m.get(self) !== 'PRECOMMITTED') m.set(self, 'PREPARED'); // the asker is in doubt (w or p)
    return { m, self, recovered };
  });

const rules = (m: Map<NodeId, PeerState>, self: NodeId, recovered: Recovered): [string, TerminationVerdict][] => [
  ['2pc', cooperativeTermination(m)],
  ['nb', logOnceTermination(m)],
  ['3pc', threePhaseTermination(self, m, recovered)],
];

describe('termination rules: properties', () => {
  it('never commit when any participant is ABORTED (and never abort when one COMMITTED and none ABORTED)', () => {
    fc.assert(
      fc.property(views, ({ m, self, recovered }) => {
        const states = [...m.values()];
        for (const [name, v] of rules(m, self, recovered)) {
          if (states.includes('ABORTED')) {
            expect(v, name).not.toEqual(decide('COMMITTED'));
            expect(v.kind, name).not.toBe('precommit');
          } else if (states.includes('COMMITTED')) {
            expect(v, name).toEqual(decide('COMMITTED'));
          }
        }
        // a commit only ever follows a commit decision: a COMMITTED answer wins (both at once
        // cannot happen; the termination rules above let ABORTED win such an impossible view)
        const res = coordinatorResolution(new Map([...m].map(([p, s]) => [p, ans(s, '3pc', [...m.keys()])])), true);
        if (states.includes('COMMITTED')) expect(res).toBe('COMMITTED');
        else if (states.includes('ABORTED')) expect(res).toBe('ABORTED');
      }),
      { numRuns: 300 },
    );
  });

  it('2pc never decides without a participant that knows the decision (also with the answers of a query without abortIfUnvoted)', () => {
    const twoPcViews = fc
      .array(fc.constantFrom<PeerState>('UNKNOWN', 'PREPARING', 'PREPARED', 'READ_ONLY', 'COMMITTED', 'ABORTED', 'UNREACHABLE'), { minLength: 1, maxLength: 5 })
      .map((states) => ({ m: new Map(states.map((s, i) => [`p${i + 1}`, s] as [NodeId, PeerState])) }));
    fc.assert(
      fc.property(fc.oneof(views, twoPcViews), ({ m }) => {
        const v = cooperativeTermination(m);
        const knows = [...m.values()].some((s) => s === 'COMMITTED' || s === 'ABORTED');
        expect(v.kind === 'decide').toBe(knows);
      }),
      { numRuns: 300 },
    );
  });

  it('nb commits iff no log holds ABORT and every log is reachable (or someone committed)', () => {
    fc.assert(
      fc.property(views, ({ m }) => {
        const states = [...m.values()];
        const v = logOnceTermination(m);
        const committed = !states.includes('ABORTED') && (states.includes('COMMITTED') || states.every((s) => s === 'PREPARED' || s === 'PRECOMMITTED'));
        expect(v.kind === 'decide' && v.outcome === 'COMMITTED').toBe(committed);
        // and it never waits when no log is out of reach
        if (!states.includes('UNREACHABLE')) expect(v.kind).toBe('decide');
      }),
      { numRuns: 300 },
    );
  });

  it('3pc: only the lowest live id leads; commit only through a pre-committed participant; recovered only adopts; no record at the coordinator waits on a partial view', () => {
    fc.assert(
      fc.property(views, ({ m, self, recovered }) => {
        const states = [...m.values()];
        const v = threePhaseTermination(self, m, recovered, recovered === false ? new Set() : new Set(m.keys()));
        if (states.includes('COMMITTED') || states.includes('ABORTED')) return;
        if (recovered === true) {
          expect(v).toEqual({ kind: 'wait', why: ADOPTING });
          return;
        }
        const live = [...m]
          .filter(([, s]) => s !== 'UNREACHABLE')
          .map(([p]) => p)
          .sort();
        if (live[0] !== self) {
          expect(v).toMatchObject(WAIT);
          return;
        }
        if (recovered && live.length < m.size) {
          expect(v).toMatchObject(WAIT);
          return;
        }
        if (states.includes('PRECOMMITTED')) {
          expect(v.kind).toBe('precommit');
          const uncertain = v.kind === 'precommit' ? v.uncertain : [];
          expect(uncertain).toEqual(live.filter((p) => m.get(p) === 'PREPARED'));
        } else {
          expect(v).toEqual(decide('ABORTED'));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('3pc: participants that see the same complete view agree (one leader, the others wait)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom<PeerState>('PREPARED', 'PRECOMMITTED'), { minLength: 1, maxLength: 5 }), (states) => {
        const m = new Map(states.map((s, i) => [`p${i + 1}`, s] as [NodeId, PeerState]));
        const verdicts = [...m.keys()].map((self) => threePhaseTermination(self, m, false));
        const leaders = verdicts.filter((v) => v.kind !== 'wait');
        expect(leaders).toHaveLength(1);
        expect(verdicts[0]!.kind).not.toBe('wait'); // p1 leads
      }),
      { numRuns: 200 },
    );
  });

  it('coordinatorResolution under 2pc never says COMMITTED unless a participant committed', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom<PeerState>('PREPARED', 'READ_ONLY', 'ABORTED', 'UNREACHABLE', 'UNKNOWN', 'COMMITTED'), { minLength: 1, maxLength: 4 }),
        (states) => {
          const ids = states.map((_, i) => `p${i + 1}`);
          const answers = new Map(states.map((s, i) => [ids[i]!, ans(s, s === 'UNREACHABLE' || s === 'UNKNOWN' ? null : '2pc', ids)]));
          const res = coordinatorResolution(answers, true);
          if (!states.includes('COMMITTED')) expect(res).not.toBe('COMMITTED');
          if (states.includes('PREPARED') && !states.includes('COMMITTED')) expect(res).toBe('ABORTED');
          // Another coordinator may not presume: an ABORTED from it needs a participant's ABORT
          // (or every participant unvoted, which the asking aborts for good).
          const byOther = coordinatorResolution(answers, false);
          if (states.includes('PREPARED') && !states.includes('COMMITTED') && !states.includes('ABORTED')) expect(byOther).not.toBe('ABORTED');
        },
      ),
      { numRuns: 300 },
    );
  });
});
