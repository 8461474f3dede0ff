import { describe, expect, it } from 'vitest';
import { inChunks, type ShardRow } from '../../src/runtime/shardExport.js';

async function* rowsOf(sizes: number[]): AsyncGenerator<ShardRow> {
  for (const [i, n] of sizes.entries()) yield { key: `k!${String(i).padStart(4, '0')}`, value: 'v'.repeat(n) };
}

async function chunked(sizes: number[], maxRows: number, maxBytes: number): Promise<ShardRow[][]> {
  const out: ShardRow[][] = [];
  for await (const c of inChunks(rowsOf(sizes), maxRows, maxBytes)) out.push(c);
  return out;
}

const bytes = (c: ShardRow[]): number => c.reduce((a, r) => a + Buffer.byteLength(r.key) + Buffer.byteLength(r.value), 0);

describe('export chunks', () => {
  it('bounds a chunk by rows and by bytes, keeps every row once and in order', async () => {
    const sizes = Array.from({ length: 500 }, (_, i) => (i * 37) % 900);
    const chunks = await chunked(sizes, 50, 4096);
    expect(chunks.flat().map((r) => r.key)).toEqual(sizes.map((_, i) => `k!${String(i).padStart(4, '0')}`));
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(50);
      expect(bytes(c)).toBeLessThanOrEqual(4096);
    }
  });

  it('a row larger than the byte bound travels alone, between full chunks', async () => {
    const chunks = await chunked([10, 10, 10_000, 10], 1000, 1000);
    expect(chunks.map((c) => c.length)).toEqual([2, 1, 1]);
    expect(chunks[1]![0]!.value.length).toBe(10_000);
  });

  it('counts bytes as UTF-8, not as characters', async () => {
    async function* wide(): AsyncGenerator<ShardRow> {
      for (let i = 0; i < 4; i++) yield { key: `k!${i}`, value: 'é'.repeat(300) }; // 600 bytes each
    }
    const out: ShardRow[][] = [];
    for await (const c of inChunks(wide(), 100, 1300)) out.push(c);
    expect(out.map((c) => c.length)).toEqual([2, 2]);
  });
});
