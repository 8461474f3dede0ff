import { createHash } from 'node:crypto';
import { CLIENT_NAME } from './credentials.js';
import { ROLES, type Role } from './roles.js';
import { readTrustFile } from './trustFiles.js';

/** Who a bearer token says the caller is. */
export interface TokenHolder {
  name: string;
  roles: Role[];
}

/** Tokens shorter than this are refused when the file is read: they could be guessed. */
export const MIN_TOKEN_CHARS = 16;
const MAX_TOKENS = 10_000;

function digest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * The bearer tokens a node accepts, read from a file of lines `<name> <role,role,...> <token>`
 * (`#` starts a comment). A token may be written as `sha256:<hex>` so the file need not hold the
 * secret itself. Only digests are kept in memory; a lookup hashes the presented token, so the time
 * it takes does not depend on how much of a stored token it matches.
 */
export class TokenTable {
  private constructor(private readonly byDigest: ReadonlyMap<string, TokenHolder>) {}

  get size(): number {
    return this.byDigest.size;
  }

  static parse(text: string, where = 'the tokens file'): TokenTable {
    const map = new Map<string, TokenHolder>();
    text.split('\n').forEach((raw, i) => {
      const line = raw.replace(/#.*/, '').trim();
      if (line === '') return;
      const at = `${where} line ${i + 1}`;
      const parts = line.split(/\s+/);
      if (parts.length !== 3) throw new Error(`${at}: expected "<name> <roles> <token>", got ${parts.length} field(s)`);
      const [name, roleList, token] = parts as [string, string, string];
      if (!CLIENT_NAME.test(name)) throw new Error(`${at}: name "${name}" must be letters, digits and . _ @ - (up to 64)`);
      const roles = roleList.split(',');
      for (const r of roles) if (!(ROLES as readonly string[]).includes(r)) throw new Error(`${at}: unknown role "${r}" (roles: ${ROLES.join(', ')})`);
      let key: string;
      if (token.startsWith('sha256:')) {
        key = token.slice(7).toLowerCase();
        if (!/^[0-9a-f]{64}$/.test(key)) throw new Error(`${at}: sha256: must be followed by 64 hex digits`);
      } else {
        if (token.length < MIN_TOKEN_CHARS) throw new Error(`${at}: the token of ${name} is shorter than ${MIN_TOKEN_CHARS} characters`);
        key = digest(token);
      }
      if (map.has(key)) throw new Error(`${at}: the token of ${name} is already given to ${map.get(key)!.name}`);
      if (map.size >= MAX_TOKENS) throw new Error(`${where}: more than ${MAX_TOKENS} tokens`);
      map.set(key, { name, roles: [...new Set(roles)] as Role[] });
    });
    if (map.size === 0) throw new Error(`${where} holds no token`);
    return new TokenTable(map);
  }

  static load(path: string): TokenTable {
    return TokenTable.parse(readTrustFile(path, 'tokens file').toString('utf8'), `tokens file ${path}`);
  }

  lookup(token: string): TokenHolder | null {
    return this.byDigest.get(digest(token)) ?? null;
  }
}

/** Reads a single token (a node's own, or a client's) from a file: its first non-comment line. */
export function readTokenFile(path: string): string {
  const line = readTrustFile(path, 'token file')
    .toString('utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .find((l) => l !== '');
  if (!line) throw new Error(`token file ${path} is empty`);
  return line;
}
