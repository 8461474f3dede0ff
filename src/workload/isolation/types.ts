/**
 * The isolation checker's model of a history, independent of dtx's client types so that unit
 * tests can write histories by hand. A transaction is a list of micro-ops on registers
 * (keys): reads and writes of unique values, each with the key's version where known.
 */

/** A read: `value` null is the key's initial state (never written); `version` as the store reported it. */
export interface ReadMop {
  f: 'r';
  key: string;
  value: string | null;
  version: number;
}

/** A write of a value unique in the whole history; `version` the one the store gave it, when known. */
export interface WriteMop {
  f: 'w';
  key: string;
  value: string;
  version: number | null;
}

export type Mop = ReadMop | WriteMop;

/** ok: committed; fail: certainly did not commit; info: unknown (may or may not have committed). */
export type TxnStatus = 'ok' | 'fail' | 'info';

export interface IsoTxn {
  id: string;
  process: number;
  status: TxnStatus;
  /** When the client invoked it and (ok only) heard it committed, in ms on one clock; null: never heard. */
  invokedAt: number;
  completedAt: number | null;
  /** Its micro-ops in request order. Reads whose results never came back are left out. */
  mops: Mop[];
}

/**
 * ww: the source wrote a version of a key the target overwrote (the next known version);
 * wr: the target read what the source wrote; rw: the source read a version the target
 * overwrote (anti-dependency); rt: the source committed before the target was invoked.
 */
export type EdgeType = 'ww' | 'wr' | 'rw' | 'rt';

export interface Edge {
  from: string;
  to: string;
  type: EdgeType;
  /** Why, for people: the key and versions. */
  why: string;
}

/** Every class of anomaly the checker reports. */
export const ANOMALY_KINDS = ['G0', 'G1a', 'G1b', 'G1c', 'G-single', 'G2-item', 'realtime', 'inconsistent'] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

export interface Anomaly {
  kind: AnomalyKind;
  /** For cycles, the finer name (e.g. G-single-realtime); else the kind. */
  name: string;
  /** The transactions involved, in cycle order for cycles. */
  txns: string[];
  /** A cycle's edges, in order (empty for the non-cycle anomalies). */
  edges: Edge[];
  detail: string;
}
