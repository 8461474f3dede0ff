/**
 * Scripted scenarios on the one simulator (src/sim/scenario.ts): each file in scenarios/ says
 * step by step what happens and what must hold — under three seeds, since message delays are
 * random: a scenario must not depend on a lucky schedule. A scenario that names the bug it is about
 * (`# catches: <planted bug>`) must also fail with that bug planted: it really reaches the
 * situation, and would catch the bug coming back.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPlantedBug } from '../../src/runtime/plantedBugs.js';
import { runScenario, type ScenarioResult } from '../../src/sim/scenario.js';

const dir = join(import.meta.dirname, 'scenarios');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.scenario'))
  .sort();

const story = (r: ScenarioResult): string => `${r.failure}\n${r.sim.trace.slice(-80).join('\n')}`;

describe('scripted scenarios', () => {
  it('there are scenarios', () => expect(files.length).toBeGreaterThan(0));
  for (const file of files) {
    const text = readFileSync(join(dir, file), 'utf8');
    it(file, async () => {
      for (const seed of [1, 2, 3]) {
        const r = await runScenario(text, { seed });
        expect(r.ok, `seed ${seed}: ${story(r)}`).toBe(true);
      }
    });
    const caught = /^#\s*catches:\s*(\S+)/m.exec(text)?.[1];
    if (caught) {
      it(`${file} fails with ${caught} planted`, async () => {
        if (!isPlantedBug(caught)) throw new Error(`${file}: unknown planted bug ${caught}`);
        const r = await runScenario(text, { bug: caught });
        expect(r.ok, `${file} passed with ${caught} planted`).toBe(false);
        console.log(`${file} with ${caught}: ${r.failure?.split('\n')[0]}`);
      });
    }
  }
});
