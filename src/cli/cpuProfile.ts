import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

/**
 * `DTX_CPU_PROFILE=file.cpuprofile` profiles a node process from start to a clean stop
 * (NODE_OPTIONS may not carry --cpu-prof). Open the file in Chrome DevTools or speedscope.
 * Returns the function that writes the profile; a no-op when the variable is unset.
 */
export function startCpuProfile(): () => Promise<void> {
  const file = process.env['DTX_CPU_PROFILE'];
  if (!file) return async () => undefined;
  const session = new Session();
  session.connect();
  session.post('Profiler.enable', () => session.post('Profiler.start'));
  return () =>
    new Promise<void>((resolve) => {
      session.post('Profiler.stop', (err, res) => {
        if (!err) writeFileSync(file, JSON.stringify(res.profile));
        session.disconnect();
        resolve();
      });
    });
}
