import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (where package.json and proto/ live), whether running from src/ or dist/. */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'dtx') return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the dtx package root');
}

export const PACKAGE_ROOT = findRoot();
/** The compiled CLI that the launcher starts node processes with. */
export const CLI_ENTRY = join(PACKAGE_ROOT, 'dist', 'cli', 'main.js');
