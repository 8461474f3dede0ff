import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

/**
 * `DTX_CPU_PROFILE=file.cpuprofile` profiles a node process from start to a clean stop
 * (NODE_OPTIONS may not carry --cpu-prof). `%id` in the name becomes the node id, so one
 * variable set for a whole launched cluster gives one file per node. Open the file in Chrome
 * DevTools or speedscope. Returns the function that writes the profile; a no-op when unset.
 */
export function startCpuProfile(nodeId: string): () => Promise<void> {
  const file = process.env['DTX_CPU_PROFILE']?.replaceAll('%id', nodeId);
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
