import { describe, expect, it } from 'vitest';
import { OPTIONAL_CHECKS } from '../../src/chaos/runChaos.js';
import { settleUnmeasured, verdictOf, type CheckResult } from '../../src/workload/checks.js';
import type { HistoryEntry } from '../../src/workload/history.js';
import { lockHistoryFindings } from '../../src/workload/lockChaos.js';

const check = (x: Partial<CheckResult>): CheckResult => ({ name: 'c', ok: true, detail: '', ...x });

/** No vacuous pass: a check with nothing to look at fails the run unless its workload declares it optional. */
describe('verdicts: not measured', () => {
  it('an unmeasured check fails unless optional; a measured one keeps its verdict', () => {
    const settled = settleUnmeasured(
      [
        check({ id: 'a', measured: false }),
        check({ id: 'b', measured: false }),
        check({ id: 'c' }),
        check({ id: 'd', ok: false }),
        check({ id: 'e', measured: true }),
      ],
      new Set(['b']),
    );
    expect(settled.map((c) => [c.id, c.ok, verdictOf(c)])).toEqual([
      ['a', false, 'not measured'],
      ['b', true, 'not measured (optional)'],
      ['c', true, 'pass'],
      ['d', false, 'FAIL'],
      ['e', true, 'pass'],
    ]);
  });

  it('the optional lists are explicit per workload: the data checks of every workload are required', () => {
    for (const id of [
      'bank-read-total',
      'bank-final',
      'cart-final',
      'cart-order-iff-committed',
      'lock-token-once',
      'lock-order',
      'lock-writes',
      'durable',
      'authorised',
    ]) {
      for (const w of ['bank', 'cart', 'lock'] as const) expect(OPTIONAL_CHECKS[w].has(id), `${w} ${id}`).toBe(false);
    }
    expect(OPTIONAL_CHECKS.bank.has('atomicity')).toBe(false);
    expect(OPTIONAL_CHECKS.lock.has('atomicity')).toBe(true);
  });

  it('the lock order check counts the pairs it compared: one accepted write per lock compares nothing', () => {
    let index = 0;
    const e = (x: Partial<HistoryEntry>): HistoryEntry => ({ index: index++, time: 0, process: 0, type: 'ok', f: 'write', ...x });
    expect(
      lockHistoryFindings({ entries: [e({ value: { lock: 'a', token: '1', version: 1 } }), e({ value: { lock: 'b', token: '2', version: 1 } })] }).ordered,
    ).toBe(0);
    expect(
      lockHistoryFindings({ entries: [e({ value: { lock: 'a', token: '1', version: 1 } }), e({ value: { lock: 'a', token: '2', version: 2 } })] }).ordered,
    ).toBe(1);
  });
});
