import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';

/** The FUSE file system that forgets unsynced writes (tools/powerfs, run by Debian's python3 with python3-fusepy). */
export const POWERFS_SCRIPT = join(PACKAGE_ROOT, 'tools', 'powerfs', 'powerfs.py');
/** The interpreter that has python3-fusepy (DTX_POWERFS_PYTHON overrides it). */
export const POWERFS_PYTHON = process.env['DTX_POWERFS_PYTHON'] ?? '/usr/bin/python3';

/** How long a mount may take to come up, a control command to answer, an unmount to finish. */
const MOUNT_TIMEOUT_MS = 10_000;
const COMMAND_TIMEOUT_MS = 10_000;
const UNMOUNT_TIMEOUT_MS = 10_000;
/** A unix socket's path must fit sockaddr_un (108 bytes with its NUL). */
const MAX_SOCKET_PATH = 107;

/** What a power cut threw away. */
export interface DropResult {
  /** Files that had unsynced writes. */
  files: number;
  /** Unsynced bytes forgotten (whole pages). */
  bytes: number;
  /** Files whose first unsynced page reached the disk in part. */
  torn: number;
}

export interface PowerFsStats {
  dirtyFiles: number;
  dirtyBytes: number;
  writes: number;
  fsyncs: number;
  drops: number;
  droppedBytes: number;
  torn: number;
  writebacks: number;
}

/** Whether a path is a mount point now (from /proc/self/mounts; octal escapes as the kernel writes them). */
export function isMounted(path: string): boolean {
  const target = resolve(path);
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  try {
    return readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .some((line) => unescape(line.split(' ')[1] ?? '') === target);
  } catch {
    return false;
  }
}

/** Why this machine cannot run powerfs, or null when it can (FUSE device, python3-fusepy, fusermount). */
export function powerFsUnavailable(): string | null {
  try {
    closeSync(openSync('/dev/fuse', 'r+'));
  } catch (err) {
    return `/dev/fuse cannot be opened (${(err as Error).message})`;
  }
  const py = spawnSync(POWERFS_PYTHON, ['-c', 'import fusepy'], { stdio: 'ignore', timeout: 10_000 });
  if (py.status !== 0) return `${POWERFS_PYTHON} cannot import fusepy (apt-get install python3-fusepy)`;
  if (spawnSync('fusermount', ['-V'], { stdio: 'ignore', timeout: 10_000 }).status !== 0) return 'fusermount not found (apt-get install fuse3)';
  return null;
}

/**
 * One mounted powerfs: `mountPoint` shows `backingDir`, but what is written there and not yet
 * fsync'd lives only in the powerfs process until a sync. dropUnsynced() is the power cut;
 * unmount() a clean shutdown (everything is written back first).
 */
export class PowerFs {
  private exited: Promise<void>;

  private constructor(
    readonly backingDir: string,
    readonly mountPoint: string,
    readonly controlPath: string,
    private readonly child: ChildProcess,
    private readonly logFile: string,
  ) {
    this.exited = new Promise((r) => child.once('exit', () => r()));
  }

  /** Mounts `backingDir` at `mountPoint` (both created); resolves once the kernel serves it. */
  static async mount(o: { backingDir: string; mountPoint: string; controlPath: string; logFile: string; seed?: number }): Promise<PowerFs> {
    if (Buffer.byteLength(o.controlPath) > MAX_SOCKET_PATH)
      throw new Error(`powerfs control socket path too long (> ${MAX_SOCKET_PATH} bytes): ${o.controlPath}`);
    if (isMounted(o.mountPoint)) throw new Error(`${o.mountPoint} is already a mount point`);
    for (const d of [o.backingDir, o.mountPoint]) mkdirSync(d, { recursive: true });
    const fd = openSync(o.logFile, 'a');
    const args = [POWERFS_SCRIPT, '--backing', o.backingDir, '--mount', o.mountPoint, '--control', o.controlPath, '--seed', String(o.seed ?? 1)];
    const child = spawn(POWERFS_PYTHON, args, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const fs = new PowerFs(o.backingDir, o.mountPoint, o.controlPath, child, o.logFile);
    let dead = false;
    void fs.exited.then(() => (dead = true));
    const deadline = Date.now() + MOUNT_TIMEOUT_MS;
    while (Date.now() < deadline && !dead) {
      const r = await fs.command('ping', 500).catch(() => null);
      if (r?.['mounted'] === true && isMounted(o.mountPoint)) return fs;
      await new Promise((res) => setTimeout(res, 50));
    }
    await fs.unmount().catch(() => undefined);
    throw new Error(`powerfs did not mount ${o.mountPoint} within ${MOUNT_TIMEOUT_MS} ms${dead ? ' (it exited)' : ''}:\n${fs.logTail()}`);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * The instant of a power cut: from now on nothing changes the disk (operations wait, and fail
   * once the cut is over). With `atFsyncWithinMs`, at the next fsync if one comes that soon — the
   * worst instant, when a write is about to become durable (that fsync never completes).
   * Then kill the processes that use it, then dropUnsynced().
   */
  async freeze(atFsyncWithinMs = 0): Promise<{ atFsync: boolean; waitedMs: number }> {
    const ms = Math.max(0, Math.min(60_000, Math.round(atFsyncWithinMs)));
    const r = await this.command(`freeze ${ms}`, COMMAND_TIMEOUT_MS + ms);
    return { atFsync: r['atFsync'] === true, waitedMs: Number(r['waitedMs']) };
  }

  /** Power back on after a cut: the disk takes changes again (call it once the killed processes have exited). */
  async powerOn(): Promise<void> {
    await this.command('power-on');
  }

  /**
   * The power cut (after freeze() and the kill; it ends the freeze, and the disk is off — every
   * change fails — until powerOn(), so that nothing on its way from a killed process lands after
   * the cut): every write not fsync'd is forgotten (with `tear`, the first unsynced page of each file reaches the disk in part). */
  async dropUnsynced(tear = false): Promise<DropResult> {
    const r = await this.command(tear ? 'drop-unsynced tear' : 'drop-unsynced');
    return { files: Number(r['files']), bytes: Number(r['bytes']), torn: Number(r['torn']) };
  }

  /** Writes every unsynced write back and syncs it (what an orderly shutdown does). */
  async flush(): Promise<void> {
    await this.command('flush');
  }

  async stats(): Promise<PowerFsStats> {
    return (await this.command('stats')) as unknown as PowerFsStats;
  }

  /**
   * Unmounts (a clean shutdown: powerfs writes everything back first) and waits for powerfs to
   * exit; bounded: a mount that does not go lazily detached (umount -l), the process killed.
   */
  async unmount(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      await this.flush().catch(() => undefined);
      spawnSync('fusermount', ['-u', this.mountPoint], { stdio: 'ignore', timeout: UNMOUNT_TIMEOUT_MS });
      const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), UNMOUNT_TIMEOUT_MS).unref());
      if ((await Promise.race([this.exited, timer])) === 'timeout') {
        this.child.kill('SIGKILL');
        await this.exited;
      }
    }
    // Busy (a process still has a file open) or powerfs died: detach it anyway.
    if (isMounted(this.mountPoint)) spawnSync('umount', ['-l', this.mountPoint], { stdio: 'ignore', timeout: UNMOUNT_TIMEOUT_MS });
    if (isMounted(this.mountPoint)) throw new Error(`${this.mountPoint} is still mounted`);
  }

  logTail(lines = 20): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** One control command; its JSON answer, or an error with powerfs's message. */
  private command(line: string, timeoutMs = COMMAND_TIMEOUT_MS): Promise<Record<string, unknown>> {
    return new Promise((resolveAnswer, reject) => {
      const sock = createConnection(this.controlPath);
      let buf = '';
      const timer = setTimeout(() => sock.destroy(new Error(`powerfs ${line}: no answer within ${timeoutMs} ms`)), timeoutMs);
      sock.setEncoding('utf8');
      sock.on('connect', () => sock.write(`${line}\n`));
      sock.on('data', (d: string) => {
        buf += d;
        if (buf.length > 64 * 1024) sock.destroy(new Error('powerfs answer too long'));
      });
      sock.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      sock.on('close', () => {
        clearTimeout(timer);
        let r: Record<string, unknown>;
        try {
          r = JSON.parse(buf.trim()) as Record<string, unknown>;
        } catch {
          return reject(new Error(`powerfs ${line}: unreadable answer ${JSON.stringify(buf.slice(0, 200))}`));
        }
        if (r['ok'] !== true) return reject(new Error(`powerfs ${line}: ${String(r['error'])}`));
        resolveAnswer(r);
      });
    });
  }
}
