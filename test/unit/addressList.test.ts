import { InvalidArgumentError } from '@commander-js/extra-typings';
import { describe, expect, it } from 'vitest';
import { parseAddressList } from '../../src/client/addressList.js';
import { ClientTxnIds } from '../../src/client/txnIds.js';
import { parseCoordinators } from '../../src/cli/clientOptions.js';
import { ownerOfTxn } from '../../src/protocol/ownership.js';
import { NODE_ID_PATTERN } from '../../src/rpc/addresses.js';

describe('parseAddressList (-c / DTX_COORDINATOR)', () => {
  it('takes one address, or several in order, spaces around entries dropped', () => {
    expect(parseAddressList('127.0.0.1:7700')).toEqual(['127.0.0.1:7700']);
    expect(parseAddressList('a:1,b.example:2, [::1]:3 ')).toEqual(['a:1', 'b.example:2', '[::1]:3']);
  });

  it.each([
    ['nohost', /^expected host:port\[,host:port\.\.\.\], got "nohost"$/],
    ['', /expected host:port/],
    ['a:1,', /^entry 2 of "a:1,": expected host:port, got ""$/],
    ['a:1,,b:2', /^entry 2 of .*: expected host:port, got ""$/],
    ['a:1,b', /^entry 2 of "a:1,b": expected host:port, got "b"$/],
    ['a:99999', /expected host:port/],
    ['a:1,a:1', /^entry 2 of "a:1,a:1": a:1 is listed twice$/],
    ['http://a:1', /expected host:port/],
  ])('refuses %j with a message naming the entry', (value, message) => {
    expect(() => parseAddressList(value)).toThrow(message);
  });

  it('refuses an absurdly long list without quoting all of it', () => {
    const value = Array.from({ length: 65 }, (_, i) => `h${i}:1`).join(',');
    expect(() => parseAddressList(value)).toThrow(/^at most 64 addresses, got 65$/);
  });

  it('is a commander usage error in the CLI (one line, exit 2)', () => {
    expect(parseCoordinators('a:1,b:2')).toEqual(['a:1', 'b:2']);
    expect(() => parseCoordinators('a:1,nohost')).toThrow(InvalidArgumentError);
  });
});

describe('ClientTxnIds', () => {
  const TXN_ID = /^[A-Za-z0-9._:@/+=-]+$/; // what a coordinator accepts (src/runtime/coordinatorRuntime.ts)

  it('makes distinct ids, "cl.<n>.<16 hex>", per client and across clients', () => {
    const a = new ClientTxnIds();
    const b = new ClientTxnIds();
    const ids = [a.next(), a.next(), b.next(), b.next()];
    expect(new Set(ids).size).toBe(4);
    for (const id of ids) {
      expect(id).toMatch(/^cl\.[1-9][0-9]*\.[0-9a-f]{16}$/);
      expect(id).toMatch(TXN_ID);
    }
    expect(new ClientTxnIds(Buffer.from('0011223344556677', 'hex')).next()).toBe('cl.1.0011223344556677');
  });

  it('can never be an id a coordinator makes or reserves ("<node id>-..."), whatever the coordinator is called', () => {
    const id = new ClientTxnIds().next();
    expect(id).not.toContain('-');
    // Every prefix ending just before a "-" would be a coordinator's; there is none.
    for (let i = 1; i <= id.length; i++) expect(NODE_ID_PATTERN.test(id.slice(0, i)) && id[i] === '-').toBe(false);
  });

  it("spreads a client's consecutive ids over the coordinators that own them (ownership hashes the id)", () => {
    const ids = new ClientTxnIds();
    const owners = Array.from({ length: 400 }, () => ownerOfTxn(ids.next(), ['c1', 'c2']));
    const c1 = owners.filter((o) => o === 'c1').length;
    const sameAsPrevious = owners.filter((o, i) => i > 0 && o === owners[i - 1]).length;
    expect(c1).toBeGreaterThan(120);
    expect(c1).toBeLessThan(280);
    // Independent owners: about half the time the same as the previous id's (93% with the counter last).
    expect(sameAsPrevious).toBeLessThan(280);
  });
});
