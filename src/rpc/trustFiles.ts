import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CertAndKey } from './certificates.js';

/** Where a certificate and its key go: DIR/NAME.pem and DIR/NAME-key.pem. */
export function pairPaths(dir: string, name: string): { cert: string; key: string } {
  return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}-key.pem`) };
}

/** Writes a certificate (0644) and its key (0600); refuses to replace either unless `force`. */
export function writePair(dir: string, name: string, pair: CertAndKey, force: boolean): { cert: string; key: string } {
  const t = pairPaths(dir, name);
  if (!force) {
    const present = [t.cert, t.key].filter((p) => existsSync(p));
    if (present.length > 0) throw new Error(`${present.join(' and ')} already exist${present.length === 1 ? 's' : ''} (--force replaces)`);
  }
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // The key first, created 0600 (chmod too: an existing file keeps its mode when overwritten).
    writeFileSync(t.key, pair.key, { mode: 0o600, flag: force ? 'w' : 'wx' });
    chmodSync(t.key, 0o600);
    writeFileSync(t.cert, pair.cert, { mode: 0o644, flag: force ? 'w' : 'wx' });
    chmodSync(t.cert, 0o644);
  } catch (err) {
    throw new Error(`cannot write ${dir}: ${(err as Error).message}`);
  }
  return t;
}

/** Writes a secret (a token, the tokens file, a cluster secret) mode 0600, never replacing one. */
export function writeSecretFile(path: string, text: string): void {
  try {
    writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    throw new Error(`cannot write ${path}: ${(err as Error).message}`);
  }
}

/** Reads a trust file (tokens, a token, the cluster secret); an error names `what` and the path. */
export function readTrustFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`${what} ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}
