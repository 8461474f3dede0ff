/**
 * The simulator's trace: every step as one human-readable line. The last `keep` lines are
 * held for a failure report; all lines feed a running FNV-1a hash, so two runs of one seed
 * can be compared without storing everything.
 */
export class Trace {
  private readonly ring: string[] = [];
  private next = 0;
  private hash = 0x811c9dc5;
  lines = 0;

  constructor(private readonly keep: number) {}

  add(line: string): void {
    let h = this.hash;
    for (let i = 0; i < line.length; i++) {
      h ^= line.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    h ^= 10;
    this.hash = Math.imul(h, 0x01000193) >>> 0;
    this.lines++;
    if (this.keep <= 0) return;
    if (this.ring.length < this.keep) this.ring.push(line);
    else this.ring[this.next] = line;
    this.next = (this.next + 1) % this.keep;
  }

  /** The kept lines, oldest first. */
  tail(): string[] {
    if (this.ring.length < this.keep) return [...this.ring];
    return [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
  }

  get digest(): string {
    return `${this.hash.toString(16).padStart(8, '0')}:${this.lines}`;
  }
}
