/** Waits until `check` returns a truthy value, polling with a deadline; never a blind sleep. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  { timeoutMs = 20_000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (let i = 0; Date.now() < deadline; i++) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, Math.min(intervalMs * (1 + Math.floor(i / 20)), 500)));
  }
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- whatever the check threw, as String() shows it
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}
