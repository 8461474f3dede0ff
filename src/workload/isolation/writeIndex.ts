import type { Anomaly, IsoTxn, ReadMop, WriteMop } from './types.js';

/** One write of the history, found from the value it wrote. */
export interface WriteInfo {
  txn: IsoTxn;
  mop: WriteMop;
  /** The transaction's last write of the key: the one that stays if it commits. */
  final: boolean;
}

/**
 * Who wrote what, and each key's version order. Values are unique, so a read names its write;
 * the store numbers a key's committed versions 1, 2, 3, … so the version order of writes needs
 * no inference: it comes from the versions writers were given and readers saw.
 */
export interface WriteIndex {
  /** By key, then value. */
  writes: Map<string, Map<string, WriteInfo>>;
  /** By key: version → the transaction (committed or maybe) that wrote it. */
  versions: Map<string, Map<number, string>>;
  /** Contradictions in the history itself: garbage reads, two writers of one version, … */
  inconsistent: Anomaly[];
}

/** A transaction's reads of state before its own writes (what other transactions wrote); reads of its own writes are internal. */
export function externalReads(t: IsoTxn): ReadMop[] {
  const written = new Set<string>();
  const out: ReadMop[] = [];
  for (const m of t.mops) {
    if (m.f === 'w') written.add(m.key);
    else if (!written.has(m.key)) out.push(m);
  }
  return out;
}

/** A transaction's reads of keys it had already written: each must see its own latest write. */
export function internalReadErrors(t: IsoTxn): string[] {
  const own = new Map<string, string>();
  const errors: string[] = [];
  for (const m of t.mops) {
    if (m.f === 'w') own.set(m.key, m.value);
    else if (own.has(m.key) && m.value !== own.get(m.key)) {
      errors.push(`${t.id} read ${m.key}=${m.value ?? 'nil'} after writing ${own.get(m.key)} itself`);
    }
  }
  return errors;
}

function inconsistent(txns: string[], detail: string): Anomaly {
  return { kind: 'inconsistent', name: 'inconsistent', txns, edges: [], detail };
}

function indexWrites(txns: readonly IsoTxn[], out: WriteIndex): void {
  for (const t of txns) {
    const last = new Map<string, WriteMop>();
    for (const m of t.mops) if (m.f === 'w') last.set(m.key, m);
    for (const m of t.mops) {
      if (m.f !== 'w') continue;
      const byValue = out.writes.get(m.key) ?? new Map<string, WriteInfo>();
      out.writes.set(m.key, byValue);
      const seen = byValue.get(m.value);
      if (seen) out.inconsistent.push(inconsistent([seen.txn.id, t.id], `${m.key}=${m.value} written twice: values must be unique`));
      else byValue.set(m.value, { txn: t, mop: m, final: last.get(m.key) === m });
    }
  }
}

/** Notes that `txn` wrote `version` of `key`; two writers of one version contradict each other. */
function noteVersion(out: WriteIndex, key: string, version: number, txn: string, source: string): void {
  const byVersion = out.versions.get(key) ?? new Map<number, string>();
  out.versions.set(key, byVersion);
  const other = byVersion.get(version);
  if (other === undefined) byVersion.set(version, txn);
  else if (other !== txn) out.inconsistent.push(inconsistent([other, txn], `${key} version ${version} has two writers, ${other} and ${txn} (${source})`));
}

function checkRead(t: IsoTxn, r: ReadMop, out: WriteIndex): void {
  if (r.value === null) {
    if (r.version !== 0) out.inconsistent.push(inconsistent([t.id], `${t.id} read ${r.key} as never written, yet at version ${r.version}`));
    return;
  }
  const w = out.writes.get(r.key)?.get(r.value);
  if (!w) return void out.inconsistent.push(inconsistent([t.id], `${t.id} read ${r.key}=${r.value}, which no transaction wrote`));
  // Reads of aborted or intermediate writes are G1a / G1b (directAnomalies.ts); they name no version.
  if (w.txn.status === 'fail' || !w.final) return;
  if (w.mop.version !== null && w.mop.version !== r.version) {
    out.inconsistent.push(
      inconsistent([w.txn.id, t.id], `${t.id} read ${r.key}=${r.value} at version ${r.version}, but ${w.txn.id} wrote it as version ${w.mop.version}`),
    );
    return;
  }
  if (r.version === 0) return void out.inconsistent.push(inconsistent([w.txn.id, t.id], `${t.id} read ${r.key}=${r.value} at version 0 (the initial state)`));
  noteVersion(out, r.key, r.version, w.txn.id, `${t.id} read it`);
}

/** Indexes every write, then places each on its key's version order from writers and readers. */
export function buildWriteIndex(txns: readonly IsoTxn[]): WriteIndex {
  const out: WriteIndex = { writes: new Map(), versions: new Map(), inconsistent: [] };
  indexWrites(txns, out);
  for (const t of txns) {
    if (t.status === 'fail') continue;
    for (const m of t.mops) {
      const final = m.f === 'w' && out.writes.get(m.key)?.get(m.value)?.final === true;
      if (m.f === 'w' && final && m.version !== null) noteVersion(out, m.key, m.version, t.id, `${t.id} was told so`);
    }
  }
  for (const t of txns) {
    if (t.status === 'fail') continue;
    for (const r of externalReads(t)) checkRead(t, r, out);
    for (const e of internalReadErrors(t)) out.inconsistent.push(inconsistent([t.id], e));
  }
  return out;
}
