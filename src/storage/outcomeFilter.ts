import { invariant } from '../protocol/invariant.js';

// ~0.8% false positives with 7 probes; each later stage gets 2 bits more per id (a third of
// the previous stage's rate), so the sum over stages stays under ~1.3%.
const BITS_PER_ID = 10;
const PROBES = 7;
const MAX_STAGES = 24;

/** Two independent 32-bit FNV-1a style hashes of a string (for double hashing). */
function hashes(s: string): [number, number] {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  return [h1 >>> 0, (h2 >>> 0) | 1];
}

class Stage {
  readonly bits: Uint32Array;
  readonly size: number;
  count = 0;

  constructor(
    readonly capacity: number,
    bitsPerId: number,
  ) {
    this.size = capacity * bitsPerId;
    this.bits = new Uint32Array(Math.ceil(this.size / 32));
  }

  add(h1: number, h2: number): void {
    for (let i = 0; i < PROBES; i++) {
      const b = (h1 + Math.imul(i, h2)) >>> 0;
      const bit = b % this.size;
      this.bits[bit >>> 5]! |= 1 << (bit & 31);
    }
    this.count++;
  }

  has(h1: number, h2: number): boolean {
    for (let i = 0; i < PROBES; i++) {
      const b = (h1 + Math.imul(i, h2)) >>> 0;
      const bit = b % this.size;
      if ((this.bits[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

/**
 * Which transactions might have an outcome record in this participant's log — a Bloom
 * filter over their ids, filled from the log at start and on every outcome write.
 *
 * A prepare must learn whether its transaction already finished here (a duplicate that
 * arrives after the outcome left memory must not vote again). Asking LevelDB costs a
 * round trip to its thread pool on every prepare; "definitely not" from the filter skips
 * it, and a false positive (~1%) only costs that read. The filter grows in stages that
 * double (a scalable Bloom filter), so it needs no size up front: ~1.25 bytes per id.
 */
export class OutcomeFilter {
  private readonly stages: Stage[];

  constructor(initialCapacity = 65_536) {
    invariant(initialCapacity > 0, () => `filter capacity ${initialCapacity}`);
    this.stages = [new Stage(initialCapacity, BITS_PER_ID)];
  }

  add(txn: string): void {
    let last = this.stages[this.stages.length - 1]!;
    if (last.count >= last.capacity) {
      invariant(this.stages.length < MAX_STAGES, () => `outcome filter grew past ${MAX_STAGES} stages`);
      last = new Stage(last.capacity * 2, BITS_PER_ID + 2 * this.stages.length);
      this.stages.push(last);
    }
    const [h1, h2] = hashes(txn);
    last.add(h1, h2);
  }

  /** false: no outcome record for `txn` was ever added; true: there may be one. */
  mightContain(txn: string): boolean {
    const [h1, h2] = hashes(txn);
    for (const s of this.stages) if (s.has(h1, h2)) return true;
    return false;
  }

  get count(): number {
    return this.stages.reduce((n, s) => n + s.count, 0);
  }
}
