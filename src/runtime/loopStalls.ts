const TICK_MS = 50;

/**
 * Calls `onStall` whenever this process's event loop ran at least `minMs` late (a long synchronous
 * task, a garbage collection, the process not scheduled). Returns the function that stops it.
 */
export function watchLoopStalls(minMs: number, onStall: (stalledMs: number, endedAt: number) => void): () => void {
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const late = now - last - TICK_MS;
    last = now;
    if (late >= minMs) onStall(late, now);
  }, TICK_MS);
  timer.unref();
  return () => clearInterval(timer);
}
