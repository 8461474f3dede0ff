import type { Registry } from 'prom-client';
import type { OpsHttp } from '../node/opsHttp.js';
import { mountConsoleApi, type ConsoleApiPorts } from './consoleApi.js';
import { mountConsoleAssets } from './consoleAssets.js';
import { readTxnTotals } from './txnTotals.js';
import { TxnSeries } from './txnSeries.js';

const SAMPLE_MS = 1000;

/**
 * The web console of a coordinator (README "Web console"): the page at /console and its API at
 * /api/console/*, on the node's operator HTTP server under the same admin rule. Returns a stop
 * for its once-a-second sampler of the node's metrics.
 */
export function mountConsole(http: OpsHttp, p: Omit<ConsoleApiPorts, 'series'>, registry: Registry): () => void {
  const series = new TxnSeries();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    readTxnTotals(registry, Date.now())
      .then((t) => series.add(t))
      .catch((err: unknown) => p.log.warn({ err }, 'console sampler failed'))
      .finally(() => (busy = false));
  }, SAMPLE_MS);
  timer.unref();
  mountConsoleAssets(http);
  const closeApi = mountConsoleApi(http, { ...p, series });
  return () => {
    clearInterval(timer);
    closeApi();
  };
}
