import { request } from 'node:https';

/** One sample of the Prometheus text format: a series name, its labels and its value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The metric families a scrape declares (# TYPE lines), name → type. */
export function families(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) out.set(m[1]!, m[2]!);
  return out;
}

/** Parses the samples of a scrape (the text format; label values without escaped quotes, as dtx's are). */
export function parseSamples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The sum of every sample of `name` whose labels include `match`; null when no sample matches. */
export function total(samples: readonly Sample[], name: string, match: Record<string, string> = {}): number | null {
  const hits = samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
  return hits.length === 0 ? null : hits.reduce((a, s) => a + s.value, 0);
}

export interface HttpAnswer {
  status: number;
  body: string;
}

/** A GET over HTTPS that trusts `ca` and may present a client certificate (fetch cannot in Node 20 without undici's Agent); the name checked in the node's certificate is `servername` (default localhost). */
export function httpsGet(
  url: string,
  o: { ca: Buffer; cert?: Buffer; key?: Buffer; token?: string; servername?: string },
  timeoutMs = 5000,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        ca: o.ca,
        cert: o.cert,
        key: o.key,
        servername: o.servername ?? 'localhost',
        headers: o.token ? { authorization: `Bearer ${o.token}` } : {},
        timeout: timeoutMs,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
