import type { NodeId } from '../protocol/types.js';
import type { RuntimeClock, RuntimeLog } from './env.js';
import type { NodeRef, Transport } from './transport.js';

/** How long one horizon question may take; a peer that does not answer keeps its last answer. */
const ASK_DEADLINE_MS = 2000;

/**
 * The cluster-wide collection horizon of a participant: its peers' answers to "below which birth
 * do you hold nothing live and will prepare nothing?" (ParticipantCore.horizonMs). A record may
 * be collected only below every peer's horizon, so that a peer still in doubt about a
 * transaction (3pc, nb: it asks its peers) finds the record of every peer that ended it — even
 * when it was in doubt for longer than the retention window.
 *
 * A peer that never answered holds collection back entirely; one that stops answering (down,
 * cut off) holds it at its last answer: it may have prepared nothing older since (it refuses
 * ids born before its window), but it may still hold what it held then.
 */
export class PeerHorizon {
  private readonly answered = new Map<NodeId, number>();
  private cancel: (() => void) | null = null;
  private stopped = false;

  constructor(
    private readonly o: {
      self: NodeId;
      /** The participants that may ask this one about a transaction (the shard map's members). */
      peers: () => readonly NodeRef[];
      transport: Transport;
      clock: RuntimeClock;
      log: RuntimeLog;
      everyMs: number;
    },
  ) {}

  start(): void {
    this.askAll();
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
    this.cancel = null;
  }

  /** The lowest horizon of the current peers (-Infinity while one has never answered; Infinity with no peers). */
  floor(): number {
    let floor = Infinity;
    for (const p of this.peerList()) floor = Math.min(floor, this.answered.get(p.id) ?? -Infinity);
    return floor;
  }

  private peerList(): NodeRef[] {
    return this.o.peers().filter((p) => p.id !== this.o.self);
  }

  private askAll(): void {
    if (this.stopped) return;
    const peers = this.peerList();
    // A member that left the map asks nothing any more: its answer goes with it.
    for (const id of this.answered.keys()) if (!peers.some((p) => p.id === id)) this.answered.delete(id);
    for (const p of peers) {
      this.o.transport.call(p, 'horizon', {}, { deadlineMs: ASK_DEADLINE_MS, waitForReady: false }, (r) => {
        if (this.stopped) return;
        if (!r.ok) return this.o.log.debug({ peer: p.id, err: r.message }, 'retention: peer horizon unknown');
        // Horizons only rise; an answer that overtook a later one must not lower the floor's view.
        this.answered.set(p.id, Math.max(this.answered.get(p.id) ?? -Infinity, r.value.horizonMs));
      });
    }
    this.cancel = this.o.clock.after(this.o.everyMs, () => {
      this.cancel = null;
      this.askAll();
    });
  }
}
