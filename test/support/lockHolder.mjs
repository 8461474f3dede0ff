// A lock holder in its own process, so a test can SIGSTOP it (a GC pause, a stalled VM):
//   node test/support/lockHolder.mjs COORDINATOR LOCK KEY TTL_MS
// Prints {"event":"acquired","token":"N","proof":"…"}, then on each stdin line "write" does a fenced put
// of KEY with its (possibly stale) token and prints the outcome — without checking first
// whether it still holds the lock, like a process that was paused mid-way.
import { createInterface } from 'node:readline';
import { DtxClient, op } from '../../dist/client/dtxClient.js';
import { withLock } from '../../dist/client/locks.js';

const [address, lock, key, ttl] = process.argv.slice(2);
const client = new DtxClient(address, { timeoutMs: 5000 });
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
await withLock(
  client,
  lock,
  async (held) => {
    held.signal.addEventListener('abort', () => out({ event: 'lost', reason: String(held.signal.reason?.message) }));
    out({ event: 'acquired', token: held.token.toString(), proof: held.proof });
    const lines = createInterface({ input: process.stdin });
    for await (const line of lines) {
      if (line.trim() !== 'write') break;
      const r = await client.transact([held.fence(op.put(key, `holder-${held.token}`))]);
      out({ event: 'wrote', outcome: r.outcome, reason: r.reason, abortCode: r.abortCode ?? null, lost: held.signal.aborted });
    }
  },
  { ttlMs: Number(ttl), owner: `holder-${process.pid}` },
);
client.close();
process.exit(0);
