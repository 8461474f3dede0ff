import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { checkHealth } from '../rpc/clients.js';
import type { DialSecurity } from '../rpc/dial.js';
import { CLI_ENTRY } from '../paths.js';

export type NodeRole = 'coordinator' | 'participant';

export interface NodeSpec {
  name: string;
  role: NodeRole;
  host: string;
  port: number;
  /** The operator HTTP server's port (metrics, health: --http-listen on the same host); none: not served. */
  httpPort?: number;
  dataDir: string;
  logFile: string;
  /** Extra CLI flags after the standard ones. */
  args: string[];
  /** Extra environment (e.g. DTX_FAILPOINTS, DTX_PLANTED_BUG). */
  env?: Record<string, string>;
  /** How the launcher calls this node (health checks). */
  dial?: DialSecurity;
}

export type NodeState = 'stopped' | 'running' | 'paused';

/** One real node process started from the compiled CLI, with its output in a log file. */
export class NodeProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<number | null> = Promise.resolve(null);
  state: NodeState = 'stopped';
  lastExit: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  constructor(readonly spec: NodeSpec) {}

  get address(): string {
    return `${this.spec.host}:${this.spec.port}`;
  }

  /** host:port of the node's operator HTTP server (metrics, health), or null when it serves none. */
  get httpAddress(): string | null {
    return this.spec.httpPort !== undefined ? `${this.spec.host}:${this.spec.httpPort}` : null;
  }

  /** The URL of the node's operator HTTP server: https when the node runs TLS. */
  get httpUrl(): string | null {
    const a = this.httpAddress;
    return a === null ? null : `${this.spec.dial?.tls ? 'https' : 'http'}://${a}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    if (this.child) throw new Error(`${this.spec.name} is already running (pid ${this.child.pid})`);
    mkdirSync(dirname(this.spec.logFile), { recursive: true });
    const fd = openSync(this.spec.logFile, 'a');
    // DTX_NODE_FLAGS: Node.js flags for every node process (profiling: "--cpu-prof --cpu-prof-dir=DIR").
    const flags = (process.env['DTX_NODE_FLAGS'] ?? '').split(' ').filter(Boolean);
    const http = this.httpAddress !== null ? ['--http-listen', this.httpAddress] : [];
    const args = [
      ...flags,
      CLI_ENTRY,
      this.spec.role,
      '--id',
      this.spec.name,
      '--listen',
      this.address,
      '--data',
      this.spec.dataDir,
      ...http,
      ...this.spec.args,
    ];
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', fd, fd],
      env: { ...process.env, ...this.spec.env, DTX_EXIT_WITH_PARENT: '1' },
    });
    closeSync(fd);
    this.child = child;
    this.state = 'running';
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.lastExit = { code, signal };
        this.child = null;
        this.state = 'stopped';
        resolve(code);
      });
    });
  }

  /** Polls Health until SERVING; fails fast, with the log's tail, if the process dies. */
  async waitHealthy(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.child) throw new Error(`${this.spec.name} exited (${JSON.stringify(this.lastExit)}) before serving:\n${this.logTail()}`);
      if (await checkHealth(this.address, 500, this.spec.dial)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${this.spec.name} not healthy within ${timeoutMs} ms:\n${this.logTail()}`);
  }

  /** Sends a signal and, for terminating ones, waits (bounded) for the exit. */
  async signal(sig: NodeJS.Signals, waitMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child) return;
    if (sig === 'SIGSTOP') {
      child.kill('SIGSTOP');
      this.state = 'paused';
      return;
    }
    if (sig === 'SIGCONT') {
      child.kill('SIGCONT');
      this.state = 'running';
      return;
    }
    if (this.state === 'paused') child.kill('SIGCONT');
    child.kill(sig);
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), waitMs).unref());
    if ((await Promise.race([this.exited, timer])) === 'timeout') {
      child.kill('SIGKILL');
      await this.exited;
    }
  }

  logTail(lines = 20): string {
    try {
      return readFileSync(this.spec.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}
