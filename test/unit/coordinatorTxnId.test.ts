import { describe, expect, it } from 'vitest';
import { coordinatorTxnId } from '../../src/protocol/coordinatorTxnId.js';
import { ownerOfTxn } from '../../src/protocol/ownership.js';

describe('coordinator-made transaction ids', () => {
  it('sort by creation time, whatever the unique part', () => {
    // Across hex-digit boundaries and years apart: string order is time order.
    const times = [0, 15, 16, 255, 256, 1_796_691_659_069, 1_796_691_659_070, 2 ** 41, 2 ** 43 - 1];
    const ids = times.map((t, i) => coordinatorTxnId('c1', t, i % 2 === 0 ? 'ffffffffffffffff' : '0000000000000000'));
    expect([...ids].sort()).toEqual(ids);
    expect(coordinatorTxnId('c1', 1_796_691_659_069, 'ab12')).toBe('c1-1a2532b093d-ab12');
  });

  it('keep the coordinator prefix that ownership reads', () => {
    const id = coordinatorTxnId('c-2', Date.now(), '0123456789abcdef');
    expect(ownerOfTxn(id, ['c', 'c-2', 'c1'])).toBe('c-2');
  });
});
