import { createHmac, timingSafeEqual } from 'node:crypto';
import { readTrustFile } from './trustFiles.js';
import type { Fence } from '../protocol/types.js';

/** Bytes a cluster secret must have at least. */
export const MIN_SECRET_BYTES = 16;

/**
 * The cluster secret that makes fencing tokens unforgeable: the lock service signs each token it
 * issues (HMAC-SHA256 over lock name and token), participants accept a fence only with that proof.
 * Every coordinator and participant of a cluster is given the same secret.
 */
export class FenceKey {
  private constructor(private readonly secret: Buffer) {}

  static fromBytes(secret: Buffer): FenceKey {
    if (secret.length < MIN_SECRET_BYTES) throw new Error(`the cluster secret must be at least ${MIN_SECRET_BYTES} bytes, got ${secret.length}`);
    return new FenceKey(Buffer.from(secret));
  }

  /** Reads a secret file (its bytes, a trailing newline dropped). */
  static load(path: string): FenceKey {
    const text = readTrustFile(path, 'cluster secret file')
      .toString('utf8')
      .replace(/\r?\n$/, '');
    try {
      return FenceKey.fromBytes(Buffer.from(text, 'utf8'));
    } catch (err) {
      throw new Error(`cluster secret file ${path}: ${(err as Error).message}`);
    }
  }

  /** The proof for `token` of `lock`, hex. */
  sign(lock: string, token: bigint | number): string {
    return createHmac('sha256', this.secret).update(`${lock}\n${token}`, 'utf8').digest('hex');
  }

  verify(fence: Fence): boolean {
    const proof = fence.proof ?? '';
    if (!/^[0-9a-f]{64}$/.test(proof)) return false;
    return timingSafeEqual(Buffer.from(this.sign(fence.lock, fence.token), 'hex'), Buffer.from(proof, 'hex'));
  }
}
