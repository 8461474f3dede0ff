import { describe, expect, it } from 'vitest';
import { ownerOf } from '../../src/protocol/routing.js';

describe('routing', () => {
  it('is deterministic over participant ids', () => {
    expect(ownerOf('alice', ['p1', 'p2', 'p3'])).toBe(ownerOf('alice', ['p3', 'p1', 'p2']));
  });
});
