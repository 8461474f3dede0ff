import { spawn } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isMounted, PowerFs } from '../../src/cluster/powerFs.js';
import { PACKAGE_ROOT } from '../../src/paths.js';

/**
 * powerfs for real: a FUSE mount over a temp dir, written through, then "power cut" (drop-unsynced).
 * What was fsync'd must stay, what was not must go, and LevelDB must keep exactly what it synced.
 */
describe('powerfs: a file system that forgets unsynced writes', () => {
  const root = mkdtempSync(join(tmpdir(), 'dtx-powerfs-test-'));
  let fs: PowerFs | null = null;
  let n = 0;

  async function mount(): Promise<PowerFs> {
    const i = n++;
    fs = await PowerFs.mount({
      backingDir: join(root, `disk${i}`),
      mountPoint: join(root, `mnt${i}`),
      controlPath: join(root, `ctl${i}.sock`),
      logFile: join(root, `powerfs${i}.log`),
    });
    return fs;
  }

  afterEach(async () => {
    const f = fs;
    fs = null;
    if (f) {
      await f.unmount();
      expect(isMounted(f.mountPoint)).toBe(false);
    }
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const write = (path: string, data: string, sync: boolean): void => {
    const fd = openSync(path, 'a');
    try {
      writeSync(fd, data);
      if (sync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  };

  it('an fsync keeps a file; without one it is gone after a power cut (its name stays: metadata is durable)', async () => {
    const f = await mount();
    const synced = join(f.mountPoint, 'synced');
    const unsynced = join(f.mountPoint, 'unsynced');
    write(synced, 'kept', true);
    write(synced, '+lost', false);
    write(unsynced, 'lost', false);
    expect(readFileSync(synced, 'utf8')).toBe('kept+lost');
    expect(readFileSync(join(f.backingDir, 'synced'), 'utf8')).toBe('kept');
    const dropped = await f.dropUnsynced();
    await f.powerOn();
    expect(dropped.files).toBe(2);
    expect(readFileSync(synced, 'utf8')).toBe('kept');
    expect(existsSync(unsynced)).toBe(true);
    expect(statSync(unsynced).size).toBe(0);
  });

  it('a torn power cut keeps whole sectors of the first unsynced page; a clean unmount writes everything back', async () => {
    const f = await mount();
    write(join(f.mountPoint, 'torn'), 't'.repeat(3000), false);
    expect((await f.stats()).dirtyFiles).toBe(1);
    expect((await f.dropUnsynced(true)).torn).toBe(1);
    await f.powerOn();
    const tornSize = statSync(join(f.mountPoint, 'torn')).size;
    expect(tornSize % 512).toBe(0);
    expect(tornSize).toBeGreaterThan(0);
    expect(tornSize).toBeLessThan(3000);
    write(join(f.mountPoint, 'clean'), 'x'.repeat(5000), false);
    await f.unmount();
    fs = null;
    expect(readFileSync(join(f.backingDir, 'clean'), 'utf8')).toBe('x'.repeat(5000));
  });

  it('freezes at the next fsync: the process is killed inside it, and the write that fsync was for is lost', async () => {
    const f = await mount();
    const file = join(f.mountPoint, 'lines');
    // Appends a line, fsyncs it, says so; again every 20 ms.
    const script = `
      const fs = require('node:fs');
      const fd = fs.openSync(${JSON.stringify(file)}, 'a');
      let n = 0;
      setInterval(() => { fs.writeSync(fd, 'line ' + ++n + '\\n'); fs.fsyncSync(fd); process.stdout.write('synced ' + n + '\\n'); }, 20);
    `;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the writer did not sync 3 lines within 20 s')), 20_000);
        child.stdout.on('data', (d: Buffer) => {
          if (/synced [3-9]/.test(d.toString())) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const frozen = await f.freeze(5000);
      expect(frozen.atFsync).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
    // Stuck in the frozen fsync: it exits only once the cut fails that call.
    const before = readFileSync(file, 'utf8');
    await f.dropUnsynced();
    await exited;
    await f.powerOn();
    const after = readFileSync(file, 'utf8');
    expect(after.length).toBeLessThan(before.length);
    expect(before.startsWith(after)).toBe(true);
    expect(before.slice(after.length)).toMatch(/^line \d+\n$/);
  });

  /** A child process writes to LevelDB on the mount: `synced` with sync, then `unsynced` without, then waits to be killed. */
  async function levelWriterKilled(dir: string): Promise<void> {
    const script = `
      import { ClassicLevel } from 'classic-level';
      const db = new ClassicLevel(${JSON.stringify(dir)});
      await db.open();
      for (let i = 0; i < 50; i++) await db.put('synced' + i, 'v', { sync: true });
      for (let i = 0; i < 50; i++) await db.put('unsynced' + i, 'v', { sync: false });
      process.stdout.write('written\\n');
      setInterval(() => undefined, 1000);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the LevelDB writer did not finish within 30 s')), 30_000);
        child.stdout.on('data', (d: Buffer) => {
          if (d.toString().includes('written')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('exit', (code) => reject(new Error(`the LevelDB writer exited (${code})`)));
      });
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  }

  async function keysIn(dir: string): Promise<string[]> {
    const db = new ClassicLevel<string, string>(dir);
    await db.open();
    try {
      return await db.keys().all();
    } finally {
      await db.close();
    }
  }

  it('LevelDB keeps what it synced across a power cut and loses the unsynced puts (kill -9 alone loses nothing)', async () => {
    const f = await mount();
    const killed = join(f.mountPoint, 'killed');
    await levelWriterKilled(killed);
    // kill -9 without a power cut: the unsynced puts are in the (simulated) page cache.
    expect((await keysIn(killed)).filter((k) => k.startsWith('unsynced'))).toHaveLength(50);

    const cut = join(f.mountPoint, 'cut');
    await levelWriterKilled(cut);
    const dropped = await f.dropUnsynced();
    await f.powerOn();
    expect(dropped.bytes).toBeGreaterThan(0);
    const keys = await keysIn(cut);
    expect(keys.filter((k) => k.startsWith('synced'))).toHaveLength(50);
    expect(keys.filter((k) => k.startsWith('unsynced'))).toEqual([]);
  });
});
