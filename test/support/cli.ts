import { spawn } from 'node:child_process';
import { CLI_ENTRY } from '../../src/paths.js';

/**
 * Runs the dtx CLI (dist) to its end: its exit code and output. `timeoutMs` bounds it (SIGKILL);
 * `onSpawn` gets its pid (a test that signals it).
 */
export function runDtx(
  args: string[],
  opts: { timeoutMs?: number; onSpawn?: (pid: number) => void } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_ENTRY, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('spawn', () => opts.onSpawn?.(child.pid!));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
