import { randomUUID } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PowerFs, type DropResult } from './powerFs.js';

/**
 * The disks of the nodes that run on powerfs. A node's data dir `<data>/<name>` is then a
 * symlink: to `<data>/power/<name>.mnt` (powerfs, over `<data>/power/<name>.disk`) while mounted,
 * and to the `.disk` directory itself once unmounted — so whatever reads a stopped node's data
 * dir (the chaos log checks, an operator) reads what reached the disk, with no FUSE in between.
 * A mount outlives the node's kills and restarts (a kill -9 keeps the page cache); only a power
 * cut drops what it holds unsynced, and stop/destroy unmount it (writing everything back).
 */
export class PowerDisks {
  private readonly mounted = new Map<string, PowerFs>();
  private seed = 1;

  constructor(
    private readonly dataDir: string,
    /** true: every node (those added later too); a list: these nodes. */
    private readonly which: true | readonly string[],
  ) {}

  covers(name: string): boolean {
    return this.which === true || this.which.includes(name);
  }

  /** Names of the nodes whose disk is mounted now. */
  get names(): string[] {
    return [...this.mounted.keys()];
  }

  /** Mounts the node's disk if it is not, and points its data dir at the mount. */
  async attach(name: string): Promise<void> {
    if (!this.covers(name) || this.mounted.has(name)) return;
    const { link, disk, mnt } = this.paths(name);
    mkdirSync(join(this.dataDir, 'power'), { recursive: true });
    // A data dir from a run without powerfs becomes the disk.
    if (existsSync(link) && !lstatSync(link).isSymbolicLink() && !existsSync(disk)) renameSync(link, disk);
    // A unix socket path must stay short: the data dir may be deep.
    const control = join(tmpdir(), `dtx-powerfs-${randomUUID().slice(0, 8)}-${name}.sock`);
    const fs = await PowerFs.mount({
      backingDir: disk,
      mountPoint: mnt,
      controlPath: control,
      logFile: join(this.dataDir, 'power', `${name}.log`),
      seed: this.seed++,
    });
    this.mounted.set(name, fs);
    this.point(link, `power/${name}.mnt`);
  }

  /** The instant of one node's power cut (see PowerFs.freeze); drop() ends it. */
  async freeze(name: string, atFsyncWithinMs: number): Promise<{ atFsync: boolean; waitedMs: number }> {
    return this.disk(name).freeze(atFsyncWithinMs);
  }

  /** The power cut of one node's disk: what it held unsynced is gone, and the disk is off until powerOn(). */
  async drop(name: string, tear: boolean): Promise<DropResult> {
    return this.disk(name).dropUnsynced(tear);
  }

  async powerOn(name: string): Promise<void> {
    await this.disk(name).powerOn();
  }

  private disk(name: string): PowerFs {
    const fs = this.mounted.get(name);
    if (!fs) throw new Error(`${name} has no powerfs disk mounted (start the cluster with powerFs)`);
    return fs;
  }

  /** Unmounts every disk (a clean shutdown: everything is written back) and points the data dirs at the disks. */
  async detachAll(): Promise<void> {
    const errors: string[] = [];
    await Promise.all(
      [...this.mounted].map(async ([name, fs]) => {
        try {
          await fs.unmount();
          this.mounted.delete(name);
          this.point(this.paths(name).link, `power/${name}.disk`);
        } catch (err) {
          errors.push(`${name}: ${(err as Error).message}`);
        } finally {
          rmSync(fs.controlPath, { force: true });
        }
      }),
    );
    if (errors.length > 0) throw new Error(`powerfs unmount failed: ${errors.join('; ')}`);
  }

  private paths(name: string): { link: string; disk: string; mnt: string } {
    return { link: join(this.dataDir, name), disk: join(this.dataDir, 'power', `${name}.disk`), mnt: join(this.dataDir, 'power', `${name}.mnt`) };
  }

  /** Re-points a data dir symlink (relative, so the data dir can move) in one rename. */
  private point(link: string, target: string): void {
    const tmp = `${link}.link-${process.pid}`;
    rmSync(tmp, { force: true });
    symlinkSync(target, tmp);
    renameSync(tmp, link);
  }
}
