/**
 * The soak's HTTP caller: each call is one request to one instance over a shared keep-alive agent, counted in
 * Stats (answers by class, latencies, the first problems); it resolves with the parsed answer, or undefined.
 */
import http from 'node:http';
import { REQUEST_TIMEOUT_MS } from './settings';

export interface Answer {
  status: number;
  body: unknown;
  headers: http.IncomingHttpHeaders;
}

export class Stats {
  requests = 0;
  byKind = new Map<string, number>();
  status2xx = 0;
  status4xx = 0;
  status5xx = 0;
  transportErrors = 0;
  /** Latency samples in ms, of every request. */
  latencies: number[] = [];
  problems: string[] = [];

  problem(line: string): void {
    if (this.problems.length < 20) this.problems.push(line);
  }

  percentile(p: number): number {
    if (this.latencies.length === 0) return 0;
    const sorted = Float64Array.from(this.latencies).sort();
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  }
}

export function makeCaller(port: number, agent: http.Agent, stats: Stats) {
  return (kind: string, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Answer | undefined> =>
    new Promise((resolve) => {
      const json = body === undefined ? undefined : JSON.stringify(body);
      const started = performance.now();
      stats.requests += 1;
      stats.byKind.set(kind, (stats.byKind.get(kind) ?? 0) + 1);
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method,
          path,
          agent,
          headers: json === undefined ? headers : { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) },
          timeout: REQUEST_TIMEOUT_MS,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            stats.latencies.push(performance.now() - started);
            const status = res.statusCode ?? 0;
            if (status >= 500) stats.status5xx += 1;
            else if (status >= 400) stats.status4xx += 1;
            else if (status >= 200 && status < 300) stats.status2xx += 1;
            const text = Buffer.concat(chunks).toString('utf8');
            if (status >= 400) stats.problem(`${kind} ${method} ${path.slice(0, 80)} → ${status} ${text.slice(0, 200)}`);
            let parsed: unknown;
            try {
              parsed = text === '' ? undefined : JSON.parse(text);
            } catch {
              stats.problem(`${kind} ${method} ${path.slice(0, 80)} → ${status}, not JSON: ${text.slice(0, 100)}`);
            }
            resolve({ status, body: parsed, headers: res.headers });
          });
          res.on('error', (error) => {
            stats.transportErrors += 1;
            stats.problem(`${kind} ${method} ${path.slice(0, 80)}: response ${error.message}`);
            resolve(undefined);
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', (error) => {
        stats.transportErrors += 1;
        stats.problem(`${kind} ${method} ${path.slice(0, 80)}: ${error.message}`);
        resolve(undefined);
      });
      req.end(json);
    });
}
