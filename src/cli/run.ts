import { DtxError } from '../client/dtxClient.js';

/** Exit codes of the dtx CLI. */
export const EXIT = { ok: 0, error: 1, usage: 2, aborted: 3 } as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.error,
  ) {
    super(message);
  }
}

/** Runs a command action: any failure becomes one readable line on stderr and a non-zero exit. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      const { message, code } = describe(err);
      process.stderr.write(`dtx: ${message}\n`);
      process.exit(code);
    }
  };
}

function describe(err: unknown): { message: string; code: number } {
  if (err instanceof CliError) return { message: err.message, code: err.exitCode };
  if (err instanceof DtxError) {
    const hint =
      err.code === 'UNAVAILABLE'
        ? ' (is the cluster running? see `dtx cluster up`; a TLS cluster needs --tls-ca)'
        : err.code === 'UNAUTHENTICATED' || err.code === 'PERMISSION_DENIED'
          ? ' (see --tls-cert/--tls-key, --token-file or DTX_TOKEN)'
          : '';
    return { message: `${err.code}: ${err.message}${hint}`, code: err.code === 'INVALID_ARGUMENT' ? EXIT.usage : EXIT.error };
  }
  return { message: err instanceof Error ? err.message.split('\n')[0]! : String(err), code: EXIT.error };
}
