/** The poll load: autocannon runs against one target, and what they add up to. */
import autocannon from 'autocannon';
import { REBUILD_MS, type Scenario } from './pollScenarios';
import type { BenchUser } from './protocol';
import { settings } from './settings';

export type TargetName = 'service' | 'express' | 'node:http';

export interface RunStats {
  target: TargetName;
  round: number;
  requests: number;
  durationS: number;
  rps: number;
  p50: number;
  p99: number;
  bytesPerResponse: number;
  /** Share of answers with the scenario's expected status. */
  expectedShare: number;
  errors: number;
  statusCodes: Record<string, number>;
}

export interface Aggregate {
  rps: number;
  p50: number;
  p99: number;
  bytesPerResponse: number;
  roundsRps: number[];
  valid: boolean;
  problems: string[];
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export interface Load {
  scenario: Scenario;
  /** The tokens' owners, spread over the connections. */
  users: BenchUser[];
  /** Every seeded user's id, for requests that name users. */
  ids: readonly string[];
  etag: string | undefined;
}

/**
 * One autocannon run. Every connection gets its own slice of the users' tokens and cycles through it; the same
 * requests go to the service and to the baselines, so the load generator does the same work for each.
 */
export function drive(port: number, load: Load, durationS: number, target: TargetName, round: number): Promise<RunStats> {
  const { scenario, users, ids, etag } = load;
  const perClient = Math.max(1, Math.floor(users.length / settings.connections));
  const requestsFor = (clientIndex: number) => {
    const now = Date.now();
    const list: autocannon.Request[] = [];
    for (let k = 0; k < perClient; k += 1) list.push(scenario.request(users[(clientIndex * perClient + k) % users.length], now, etag, ids));
    return list;
  };
  const clients: autocannon.Client[] = [];
  let latencies = new Float64Array(1 << 16);
  let count = 0;

  return new Promise((resolve, reject) => {
    let instance: autocannon.Instance | undefined;
    // `from` is "5 s ago" for the whole run, not 5 s before it started.
    const rebuild = setInterval(() => {
      if (!scenario.timeDependent) return;
      clients.forEach((client, index) => client.setRequests(requestsFor(index)));
    }, REBUILD_MS);
    const guard = setTimeout(() => {
      process.stderr.write(`bench: the ${target} run did not end in time; stopping it\n`);
      instance?.stop();
    }, (durationS + 30) * 1000);
    instance = autocannon(
      {
        url: `http://127.0.0.1:${port}`,
        connections: settings.connections,
        duration: durationS,
        pipelining: 1,
        timeout: 10,
        requests: requestsFor(0),
        setupClient: (client) => {
          const index = clients.length;
          clients.push(client);
          if (index > 0) client.setRequests(requestsFor(index));
        },
      },
      (error: unknown, result: autocannon.Result) => {
        clearInterval(rebuild);
        clearTimeout(guard);
        if (error !== null && error !== undefined) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        const sorted = latencies.subarray(0, count).sort();
        const statusCodes: Record<string, number> = {};
        for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stats.count ?? 0;
        const answered = Object.values(statusCodes).reduce((sum, n) => sum + n, 0);
        const requests = result.requests.total;
        resolve({
          target,
          round,
          requests,
          durationS: result.duration,
          rps: requests / result.duration,
          p50: percentile(sorted, 50),
          p99: percentile(sorted, 99),
          bytesPerResponse: requests === 0 ? 0 : result.throughput.total / requests,
          expectedShare: answered === 0 ? 0 : (statusCodes[String(scenario.expectStatus)] ?? 0) / answered,
          errors: result.errors,
          statusCodes,
        });
      },
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      if (count === latencies.length) {
        const bigger = new Float64Array(latencies.length * 2);
        bigger.set(latencies);
        latencies = bigger;
      }
      latencies[count] = responseTime;
      count += 1;
    });
  });
}

export function aggregate(runs: RunStats[], expectStatus: number): Aggregate {
  const requests = runs.reduce((sum, run) => sum + run.requests, 0);
  const duration = runs.reduce((sum, run) => sum + run.durationS, 0);
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  const problems: string[] = [];
  for (const run of runs) {
    if (run.errors > 0) problems.push(`round ${run.round}: ${run.errors} connection errors`);
    if (run.expectedShare < 0.99) problems.push(`round ${run.round}: only ${(100 * run.expectedShare).toFixed(1)}% answered ${expectStatus} (${JSON.stringify(run.statusCodes)})`);
  }
  return {
    rps: requests / duration,
    p50: mean(runs.map((run) => run.p50)),
    p99: mean(runs.map((run) => run.p99)),
    bytesPerResponse: mean(runs.map((run) => run.bytesPerResponse)),
    roundsRps: runs.map((run) => run.rps),
    valid: problems.length === 0,
    problems,
  };
}
