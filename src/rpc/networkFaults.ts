import * as grpc from '@grpc/grpc-js';

/** Faults on the messages from one node to another. */
export interface LinkFault {
  from: string;
  to: string;
  blocked: boolean;
  delayMs: number;
  jitterMs: number;
  dropRate: number;
  duplicateRate: number;
}

const NONE: Omit<LinkFault, 'from' | 'to'> = { blocked: false, delayMs: 0, jitterMs: 0, dropRate: 0, duplicateRate: 0 };
const MAX_DELAY_MS = 60_000;

/**
 * A node's table of network faults, keyed by directed link. The node enforces both
 * directions of its own links on its outgoing calls: its requests travel self→peer
 * and the answers peer→self, so a one-way partition loses either the request or
 * only the answer (the call took effect but the caller cannot know).
 */
export class NetworkFaults {
  private links = new Map<string, LinkFault>();
  readonly counters = { dropped: 0, delayed: 0, duplicated: 0 };

  constructor(
    readonly self: string,
    private readonly random: () => number = Math.random,
  ) {}

  replace(links: LinkFault[]): LinkFault[] {
    const next = new Map<string, LinkFault>();
    for (const l of links) {
      if (!l.from || !l.to || l.from === l.to) throw new Error(`a link needs two different node ids, got "${l.from}"→"${l.to}"`);
      for (const [name, rate] of [
        ['drop_rate', l.dropRate],
        ['duplicate_rate', l.duplicateRate],
      ] as const) {
        if (!(rate >= 0 && rate <= 1)) throw new Error(`${name} must be within 0..1, got ${rate}`);
      }
      if (l.delayMs > MAX_DELAY_MS || l.jitterMs > MAX_DELAY_MS) throw new Error(`delays are limited to ${MAX_DELAY_MS} ms`);
      next.set(`${l.from}>${l.to}`, { ...NONE, ...l });
    }
    this.links = next;
    return this.list();
  }

  list(): LinkFault[] {
    return [...this.links.values()];
  }

  link(from: string, to: string): Omit<LinkFault, 'from' | 'to'> {
    return this.links.get(`${from}>${to}`) ?? NONE;
  }

  /** Whether a message on this link is lost now. */
  lost(from: string, to: string): boolean {
    const l = this.link(from, to);
    return l.blocked || (l.dropRate > 0 && this.random() < l.dropRate);
  }

  delayOf(from: string, to: string): number {
    const l = this.link(from, to);
    return l.delayMs + (l.jitterMs > 0 ? Math.floor(this.random() * (l.jitterMs + 1)) : 0);
  }

  duplicated(from: string, to: string): boolean {
    const l = this.link(from, to);
    return l.duplicateRate > 0 && this.random() < l.duplicateRate;
  }

  /** The client interceptor for calls from this node to `peer`. */
  interceptor(peer: string): grpc.Interceptor {
    return (options, nextCall) => {
      const def = options.method_definition;
      if (def.requestStream || def.responseStream) return this.streamCall(peer, options, nextCall);
      // A unary call meets the faults of the moment it starts: with none, it is a plain call.
      return this.links.size === 0 ? new grpc.InterceptingCall(nextCall(options)) : this.unaryCall(peer, options, nextCall);
    };
  }

  /**
   * A unary call is one request and one answer: either may be lost (the caller then
   * learns nothing until its deadline), delayed, and the request may arrive twice.
   */
  private unaryCall(peer: string, options: grpc.InterceptorOptions, nextCall: grpc.NextCall): grpc.InterceptingCall {
    const self = this.self;
    const requestLost = this.lost(self, peer);
    const answerLost = !requestLost && this.lost(peer, self);
    const requestDelay = this.delayOf(self, peer);
    const answerDelay = this.delayOf(peer, self);
    const duplicate = !requestLost && this.duplicated(self, peer);
    if (requestLost || answerLost) this.counters.dropped++;
    if (requestDelay + answerDelay > 0) this.counters.delayed++;
    if (duplicate) this.counters.duplicated++;
    let startMetadata: grpc.Metadata | null = null;
    let outbound: Promise<void> = requestDelay > 0 ? sleep(requestDelay) : Promise.resolve();
    let inbound: Promise<void> = Promise.resolve();
    let answerDue: number | null = null;
    // The answer (metadata, message, status) is delayed once, from its first part on.
    const later = (fn: () => void) => {
      answerDue ??= Date.now() + answerDelay;
      const due = answerDue;
      inbound = inbound.then(() => sleepUntil(due)).then(fn);
    };
    // The request goes out on a call of its own whose answer nobody reads: a lost answer, or
    // the second copy of a duplicated request. (Withholding a received message from grpc-js
    // instead would hold back the call's status for good: the call would never end.)
    const sendDetached = (message: unknown) => {
      const copy = nextCall(options);
      copy.start(startMetadata ?? new grpc.Metadata(), {});
      copy.sendMessage(message);
      copy.halfClose();
    };
    return new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        startMetadata = metadata.clone();
        next(metadata, {
          onReceiveMetadata(md, nxt) {
            later(() => nxt(md));
          },
          onReceiveMessage(msg, nxt) {
            later(() => nxt(msg));
          },
          onReceiveStatus(status, nxt) {
            later(() => nxt(status));
          },
        });
      },
      sendMessage(message, next) {
        // A lost request is never sent; the call then ends at its deadline, as over a dead link.
        if (requestLost) return;
        if (answerLost) {
          // It takes effect at the peer, but this call never sends, so it too ends at its deadline.
          outbound = outbound.then(() => sendDetached(message));
          return;
        }
        outbound = outbound.then(() => next(message));
        if (duplicate) outbound = outbound.then(() => sendDetached(message));
      },
      halfClose(next) {
        if (requestLost || answerLost) return;
        outbound = outbound.then(() => next());
      },
    });
  }

  /**
   * On a stream every message meets the link's faults on its own, in order: lost,
   * delayed, duplicated. A lost message is replaced by an empty one rather than
   * withheld: grpc-js completes a stream write (and asks for the next read) only when
   * the message moves on, so withholding one would stall the stream for good. Stream
   * consumers treat an empty message as carrying nothing.
   */
  private streamCall(peer: string, options: grpc.InterceptorOptions, nextCall: grpc.NextCall): grpc.InterceptingCall {
    const self = this.self;
    /** One direction of the stream: messages held back by a fault, and the chain that keeps them in order. */
    interface Direction {
      chain: Promise<void>;
      held: number;
    }
    const outbound: Direction = { chain: Promise.resolve(), held: 0 };
    const inbound: Direction = { chain: Promise.resolve(), held: 0 };
    const pass = <M>(from: string, to: string, dir: Direction, message: M, deliver: (m: M | object) => void): void => {
      // No faults and nothing held back before it: straight through (the common case costs nothing).
      if (dir.held === 0 && this.links.size === 0) {
        deliver(message);
        return;
      }
      const hold = (fn: () => void) => {
        dir.held++;
        dir.chain = dir.chain.then(() => {
          dir.held--;
          fn();
        });
      };
      if (this.lost(from, to)) {
        this.counters.dropped++;
        hold(() => deliver({}));
        return;
      }
      const delay = this.delayOf(from, to);
      const duplicate = from === self && this.duplicated(from, to);
      if (duplicate) this.counters.duplicated++;
      if (delay > 0) this.counters.delayed++;
      // Each message is due `delay` after it was sent, whatever waits before it: delays do not add up.
      const due = Date.now() + delay;
      dir.held++;
      dir.chain = dir.chain
        .then(() => sleepUntil(due))
        .then(() => {
          dir.held--;
          deliver(duplicate ? doubled(message) : message);
        });
    };
    return new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        next(metadata, {
          onReceiveMessage(msg, nxt) {
            pass(peer, self, inbound, msg, (m) => nxt(m));
          },
          onReceiveStatus(status, nxt) {
            if (inbound.held === 0) nxt(status);
            else inbound.chain = inbound.chain.then(() => nxt(status));
          },
        });
      },
      sendMessage(message, next) {
        pass(self, peer, outbound, message, (m) => next(m));
      },
      halfClose(next) {
        if (outbound.held === 0) next();
        else outbound.chain = outbound.chain.then(() => next());
      },
    });
  }
}

/**
 * A batch message with every item in it twice: how a duplicated delivery is modelled on a
 * stream, where grpc-js accepts each write exactly once.
 */
function doubled<M>(message: M): M {
  if (typeof message !== 'object' || message === null) return message;
  const out: Record<string, unknown> = { ...(message as Record<string, unknown>) };
  for (const [k, v] of Object.entries(out)) if (Array.isArray(v)) out[k] = [...(v as unknown[]), ...(v as unknown[])];
  return out as M;
}

function sleepUntil(at: number): Promise<void> | undefined {
  const ms = at - Date.now();
  return ms > 0 ? sleep(ms) : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
