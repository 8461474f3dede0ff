import type { CheckResult } from '../checks.js';
import type { IsolationReport } from './checkIsolation.js';
import type { AnomalyKind } from './types.js';

/**
 * What dtx's claim forbids: strict two-phase locking with reads locked until the decision is
 * strictly serializable, so every anomaly below is a violation — none is tolerated.
 */
const ROWS: readonly { kind: AnomalyKind; name: string }[] = [
  { kind: 'G0', name: 'isolation: no G0 (write cycle)' },
  { kind: 'G1a', name: 'isolation: no G1a (aborted read)' },
  { kind: 'G1b', name: 'isolation: no G1b (intermediate read)' },
  { kind: 'G1c', name: 'isolation: no G1c (circular information flow)' },
  { kind: 'G-single', name: 'isolation: no G-single (read skew: cycle with one anti-dependency)' },
  { kind: 'G2-item', name: 'isolation: no G2-item (write skew: cycle with anti-dependencies)' },
  { kind: 'realtime', name: 'isolation: strict (no cycle through real-time order)' },
  { kind: 'inconsistent', name: 'isolation: history consistent (reads name one write, one writer per version)' },
];

/** The verdict rows of an isolation report: one per anomaly class, the first with what was looked at. */
export function isolationVerdicts(r: IsolationReport): CheckResult[] {
  const looked =
    `${r.txns.ok} committed, ${r.txns.info} unknown, ${r.txns.fail} aborted txns; ${r.reads} reads, ${r.writes} writes; ` +
    `edges ww ${r.edges.ww}, wr ${r.edges.wr}, rw ${r.edges.rw}, rt ${r.edges.rt}`;
  return ROWS.map(({ kind, name }, i) => {
    const found = r.anomalies[kind];
    const capped = r.truncated.includes(kind) ? ' (search capped)' : '';
    const detail =
      found.length === 0 ? `none${capped}${i === 0 ? ` in ${looked}` : ''}` : `${found.length}${capped} found, e.g. ${found[0]!.name}: ${found[0]!.detail}`;
    return { id: `isolation:${kind}`, name, ok: found.length === 0, detail };
  });
}
