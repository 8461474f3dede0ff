import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { POWERFS_PYTHON } from '../../src/cluster/powerFs.js';
import { PACKAGE_ROOT } from '../../src/paths.js';

/** powerfs's pure part (tools/powerfs/overlay.py: unsynced pages over a backing file), by its Python unit tests. */
describe('powerfs overlay', () => {
  it('passes its unit tests (reads over unsynced pages, fsync extents, truncate, torn writes)', () => {
    const r = spawnSync(POWERFS_PYTHON, ['-m', 'unittest', 'discover', '-v', '-s', join(PACKAGE_ROOT, 'tools', 'powerfs'), '-p', 'test_*.py'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Ran [1-9]\d* tests/);
  });
});
