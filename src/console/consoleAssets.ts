import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { OpsHttp } from '../node/opsHttp.js';
import { PACKAGE_ROOT } from '../paths.js';

/** The page's files: the repository's console/ folder and uPlot from node_modules, read once at start. */
const FILES: { path: string; file: () => string; type: string; page?: true }[] = [
  { path: '/console', file: () => join(PACKAGE_ROOT, 'console', 'index.html'), type: 'text/html; charset=utf-8', page: true },
  { path: '/console/console.js', file: () => join(PACKAGE_ROOT, 'console', 'console.js'), type: 'text/javascript; charset=utf-8' },
  { path: '/console/console.css', file: () => join(PACKAGE_ROOT, 'console', 'console.css'), type: 'text/css; charset=utf-8' },
  { path: '/console/uPlot.js', file: () => createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  { path: '/console/uPlot.css', file: () => createRequire(import.meta.url).resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
];

/**
 * Mounts the console page (admin only, as the API it calls; a browser opening it by URL may bring
 * its token as ?token=) and its scripts and styles (public: code, no data).
 */
export function mountConsoleAssets(http: OpsHttp): void {
  for (const f of FILES) {
    const body = readFileSync(f.file());
    http.route({
      method: 'GET',
      path: f.path,
      ...(f.page ? { tokenParam: 'token' } : { roles: null }),
      handle: (_req, res) => {
        res.writeHead(200, {
          'content-type': f.type,
          'cache-control': 'no-store',
          'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
          'x-content-type-options': 'nosniff',
        });
        res.end(body);
      },
    });
  }
}
