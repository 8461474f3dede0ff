import { createServer } from 'node:net';

/** Binds a port on 127.0.0.1 to prove it free, then lets it go. */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

// Below Linux's ephemeral range (32768-60999): the OS never hands these out to outgoing
// connections, so a port picked here stays free until the node binds it.
const LOW = 10_000;
const HIGH = 32_000;

/** A free loopback port, chosen at random below the ephemeral range. */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (await canBind(port)) return port;
  }
  throw new Error('no free port found');
}

/** n distinct free ports. */
export async function freePorts(n: number): Promise<number[]> {
  const out = new Set<number>();
  for (let tries = 0; out.size < n && tries < n * 20; tries++) out.add(await freePort());
  if (out.size < n) throw new Error(`could not find ${n} free ports`);
  return [...out];
}
