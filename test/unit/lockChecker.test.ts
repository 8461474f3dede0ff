import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../src/workload/history.js';
import { lockHistoryFindings } from '../../src/workload/lockChaos.js';

let index = 0;
const e = (x: Partial<HistoryEntry>): HistoryEntry => ({ index: index++, time: 0, process: 0, type: 'ok', f: 'write', ...x });

/** The lock checker must be able to fail: it is fed histories with the faults it exists to catch. */
describe('lock chaos checker', () => {
  it('passes a history where the resource saw tokens in order and refused a stale holder', () => {
    const f = lockHistoryFindings({
      entries: [
        e({ f: 'acquire', value: { lock: 'a', token: '1' } }),
        e({ value: { lock: 'a', token: '1', version: 1 } }),
        e({ f: 'acquire', value: { lock: 'a', token: '2' } }),
        e({ value: { lock: 'a', token: '2', version: 2 } }),
        // Holder 1 stalled past its lease, then tried once more.
        e({ type: 'invoke', value: { lock: 'a', token: '1', stalledMs: 1700 } }),
        e({ type: 'fail', value: { lock: 'a', token: '1', stalledMs: 1700 }, error: 'lock a token 1 is older than token 2 already seen' }),
      ],
    });
    expect(f).toEqual({ granted: 2, twice: [], backwards: [], staleRefused: 1, stalled: 1, ordered: 1 });
  });

  it('reports a stale holder whose write the resource accepted after a newer one (overlapping holds)', () => {
    const f = lockHistoryFindings({
      entries: [
        e({ value: { lock: 'a', token: '5', version: 3 } }),
        e({ value: { lock: 'a', token: '4', version: 4 } }),
        e({ value: { lock: 'b', token: '6', version: 1 } }),
      ],
    });
    expect(f.backwards).toEqual(['a v4 token 4 after 5']);
  });

  it("reports a lock's token granted twice; the same number on two locks is no finding (tokens are per lock)", () => {
    const f = lockHistoryFindings({
      entries: [
        e({ f: 'acquire', value: { lock: 'a', token: '7' } }),
        e({ f: 'acquire', value: { lock: 'b', token: '7' } }),
        e({ f: 'acquire', value: { lock: 'a', token: '7' } }),
      ],
    });
    expect(f.twice).toEqual(['a:7']);
  });
});
