/**
 * A node started by the launcher ends when the launcher is gone (its parent pid
 * changes), so a crashed test run leaves no stray processes behind.
 */
export function exitWithParent(onOrphan: () => void): void {
  if (process.env['DTX_EXIT_WITH_PARENT'] !== '1') return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      onOrphan();
    }
  }, 500);
  timer.unref();
}
