import { it } from 'vitest';
import { simulate } from '../../src/sim/index.js';
it('x', () => {
  const r = simulate({ seed: 3643, participants: 3 });
  console.log(r.violation?.message);
  console.log((r.focus ?? []).filter((l: string) => /t12\b|crash|restart/.test(l)).join('\n'));
});
