import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let tick: number | undefined;

/** Clock ticks per second of /proc/<pid>/stat times (`getconf CLK_TCK`, 100 on Linux almost always). */
export function clockTick(): number {
  if (tick === undefined) {
    try {
      const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
      tick = Number.isFinite(n) && n > 0 ? n : 100;
    } catch {
      tick = 100;
    }
  }
  return tick;
}

/**
 * CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat fields 14 and 15
 * (utime, stime). The command name (field 2) may hold spaces and parentheses, so the fields are
 * counted from the last ')'. Undefined when the process is gone or /proc is not there.
 */
export function cpuSecondsOf(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): utime is field 14 → rest[11], stime field 15 → rest[12].
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return (utime + stime) / clockTick();
}

/** CPU seconds of each named process now. */
export function sampleCpu(pids: Map<string, number>): Map<string, number | undefined> {
  return new Map([...pids].map(([name, pid]) => [name, cpuSecondsOf(pid)]));
}

/** Per-process CPU seconds used between two samples (undefined for a process that vanished). */
export function cpuDelta(before: Map<string, number | undefined>, after: Map<string, number | undefined>): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [name, b] of before) {
    const a = after.get(name);
    out[name] = a === undefined || b === undefined ? null : Math.round((a - b) * 1000) / 1000;
  }
  return out;
}
