import { isHostPort, quote } from '../rpc/addresses.js';

/** More coordinators than this in one list is a mistake (something else pasted), not a cluster. */
const MAX_ADDRESSES = 64;

/**
 * "host:port[,host:port...]" → the addresses, in the order given (a client starts with the
 * first). Spaces around an entry are dropped; an empty entry, a malformed one or one listed
 * twice is refused with a message that names it, so that a typo fails before any call.
 */
export function parseAddressList(value: string): string[] {
  const entries = value.split(',').map((s) => s.trim());
  if (entries.length > MAX_ADDRESSES) throw new Error(`at most ${MAX_ADDRESSES} addresses, got ${entries.length}`);
  const out: string[] = [];
  entries.forEach((entry, i) => {
    const where = entries.length > 1 ? `entry ${i + 1} of ${quote(value)}: ` : '';
    if (!isHostPort(entry)) throw new Error(`${where}expected host:port${entries.length > 1 ? '' : '[,host:port...]'}, got ${quote(entry)}`);
    if (out.includes(entry)) throw new Error(`${where}${entry} is listed twice`);
    out.push(entry);
  });
  return out;
}
