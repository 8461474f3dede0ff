import { adminClient, call } from '../rpc/clients.js';
import { PLAINTEXT, type DialSecurity } from '../rpc/dial.js';
import type { LinkFault } from '../rpc/networkFaults.js';

/** Sends a node its network-fault table through Admin. */
export async function sendNetworkFaults(address: string, links: LinkFault[], sec: DialSecurity = PLAINTEXT, timeoutMs = 2000): Promise<void> {
  const c = adminClient(address, sec);
  try {
    await call(c.SetNetworkFaults.bind(c), { links }, timeoutMs, true);
  } finally {
    c.close();
  }
}

export async function sendClockOffset(address: string, offsetMs: number, sec: DialSecurity = PLAINTEXT, timeoutMs = 2000): Promise<void> {
  const c = adminClient(address, sec);
  try {
    await call(c.SetClockOffset.bind(c), { offsetMs }, timeoutMs, true);
  } finally {
    c.close();
  }
}

export function link(from: string, to: string, fault: Partial<Omit<LinkFault, 'from' | 'to'>>): LinkFault {
  return { from, to, blocked: false, delayMs: 0, jitterMs: 0, dropRate: 0, duplicateRate: 0, ...fault };
}

/** Both directions between every node of `a` and every node of `b` blocked. */
export function partitionLinks(a: string[], b: string[], oneWay = false): LinkFault[] {
  const out: LinkFault[] = [];
  for (const x of a) {
    for (const y of b) {
      out.push(link(x, y, { blocked: true }));
      if (!oneWay) out.push(link(y, x, { blocked: true }));
    }
  }
  return out;
}
