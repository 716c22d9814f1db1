/**
 * `npm run bench`: the presence service against two baselines serving the same bytes (a bare Express app and a
 * bare node:http server), scenario by scenario, on this machine, over 127.0.0.1 only. See docs/benchmarks.md.
 *
 * Settings (environment):
 *   BENCH_USERS=10000        users seeded (half online) for every scenario but 5
 *   BENCH_USERS_LARGE=100000 users seeded for scenario 5
 *   BENCH_SECONDS=10         length of one measured run
 *   BENCH_CONNECTIONS=50     concurrent keep-alive connections
 *   BENCH_ROUNDS=2           measured runs per target and scenario, interleaved service/Express/node:http
 *   BENCH_WARMUP_SECONDS=2   unmeasured run per target before the measured ones
 *   BENCH_SCENARIOS=1,2,3,S  only these scenarios (default: all; S is the live stream scenario)
 *   BENCH_STREAMS=10000      scenario S: open streams, each watching BENCH_STREAM_WATCHED=100 users, while
 *                            BENCH_STREAM_CHANGES=200 changes a second are made for BENCH_STREAM_SECONDS=10 s
 *   BENCH_PROFILE=1|missed   after a scenario's measured runs (every scenario, or those that missed their target),
 *                            one more run against a fresh service under `node --cpu-prof` (bench-profiles/), not
 *                            counted in the table, summarised by self time
 *   BENCH_DOC=0|1            write docs/benchmarks.md: 1 always, 0 never, default only when every scenario ran
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { startChild, type Child } from './children';
import { formatSummary, summariseProfile, type ProfileSummary } from './profileSummary';
import { runStreamScenario, type StreamResult, type StreamSettings } from './streamScenario';
import type { BaselineReady, BaselineServe, BenchUser, MarkReport, MemoryReport, ServiceReady } from './protocol';

const ROOT = path.resolve(__dirname, '..', '..');
const DOC = path.join(ROOT, 'docs', 'benchmarks.md');
const PROFILE_DIR = path.join(ROOT, 'bench-profiles');
const MB = 1024 * 1024;
const RSS_TARGET_MB = 300;

function intEnv(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return value;
}

const seconds = intEnv('BENCH_SECONDS', 10);
const settings = {
  users: intEnv('BENCH_USERS', 10_000, 2),
  largeUsers: intEnv('BENCH_USERS_LARGE', 100_000, 2),
  seconds,
  connections: intEnv('BENCH_CONNECTIONS', 50),
  rounds: intEnv('BENCH_ROUNDS', 2),
  warmupSeconds: intEnv('BENCH_WARMUP_SECONDS', Math.min(2, seconds), 0),
  profile: (process.env.BENCH_PROFILE === '1' ? 'all' : process.env.BENCH_PROFILE === 'missed' ? 'missed' : 'off') as 'all' | 'missed' | 'off',
};

// ---------------------------------------------------------------------------------------------------------------
// Scenarios

interface RequestSpec {
  method: 'GET';
  path: string;
  headers: Record<string, string>;
}

type Target = { kind: 'express'; ratio: number } | { kind: 'relative'; ratio: number; to: number };

interface Scenario {
  id: number;
  title: string;
  users: number;
  /** How many users' tokens the load uses, spread over the connections. */
  tokens: number;
  /** A background change every this many ms (0: none), so a delta keeps about 10 entries. */
  changeEveryMs: number;
  /** The request depends on the time (`from`), so the load generator rebuilds it every REBUILD_MS. */
  timeDependent: boolean;
  conditional: boolean;
  expectStatus: number;
  request(user: BenchUser, nowMs: number, etag: string | undefined): RequestSpec;
  /** What the probe's answer must look like, and a line saying what it held. */
  check(status: number, body: string): string;
  target: Target;
}

const REBUILD_MS = 250;
const DELTA_AGE_MS = 5000;
/** With the 10 s delta overlap a 5 s `from` reads 15 s of changes: one per 1.5 s keeps about 10 in the answer. */
const CHANGE_EVERY_MS = 1500;

const rocketChatAuth = (user: BenchUser) => ({ 'X-User-Id': user.userId, 'X-Auth-Token': user.token });
const bearer = (user: BenchUser) => ({ Authorization: `Bearer ${user.token}` });

function expect(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

function deltaScenario(id: number, users: number, target: Target): Scenario {
  return {
    id,
    title: `delta poll, from = 5 s ago, ${users.toLocaleString('en')} users`,
    users,
    tokens: 200,
    changeEveryMs: CHANGE_EVERY_MS,
    timeDependent: true,
    conditional: false,
    expectStatus: 200,
    request: (user, nowMs) => ({
      method: 'GET',
      path: `/api/v1/users.presence?from=${new Date(nowMs - DELTA_AGE_MS).toISOString()}`,
      headers: rocketChatAuth(user),
    }),
    check: (status, body) => {
      const answer = JSON.parse(body) as { full: boolean; users: unknown[] };
      expect(status === 200 && answer.full === false, `expected a delta, got ${status} full=${answer.full}`);
      return `${answer.users.length} users in the delta`;
    },
    target,
  };
}

function fullListScenario(id: number, conditional: boolean, target: Target): Scenario {
  return {
    id,
    title: conditional ? 'full list, If-None-Match → 304' : `full list, ${(settings.users / 2).toLocaleString('en')} online`,
    users: settings.users,
    tokens: 200,
    changeEveryMs: 0,
    timeDependent: false,
    conditional,
    expectStatus: conditional ? 304 : 200,
    request: (user, _nowMs, etag) => ({
      method: 'GET',
      path: '/api/v1/users.presence',
      // The probe asks once without a tag, to get the list and its tag.
      headers: conditional && etag !== undefined ? { ...rocketChatAuth(user), 'If-None-Match': etag } : rocketChatAuth(user),
    }),
    check: (status, body) => {
      const answer = JSON.parse(body) as { full: boolean; users: unknown[] };
      expect(status === 200 && answer.full === true, `expected the full list, got ${status} full=${answer.full}`);
      return `${answer.users.length} users in the list`;
    },
    target,
  };
}

const SCENARIOS: Scenario[] = [
  deltaScenario(1, settings.users, { kind: 'express', ratio: 0.55 }),
  fullListScenario(2, false, { kind: 'express', ratio: 0.9 }),
  fullListScenario(3, true, { kind: 'express', ratio: 0.55 }),
  {
    id: 4,
    title: 'update_presence heartbeats, many users',
    users: settings.users,
    tokens: Math.min(settings.users, 5000),
    changeEveryMs: 0,
    timeDependent: false,
    conditional: false,
    expectStatus: 200,
    request: (user) => ({ method: 'GET', path: '/v0/users/me/presence?update_presence=1', headers: bearer(user) }),
    check: (status, body) => {
      const answer = JSON.parse(body) as { meta: { updated_presence?: boolean }; data: { presence: string } };
      expect(status === 200 && answer.meta.updated_presence === true, `expected updated_presence, got ${status} ${body}`);
      return `presence "${answer.data.presence}", updated_presence true`;
    },
    target: { kind: 'express', ratio: 0.45 },
  },
  deltaScenario(5, settings.largeUsers, { kind: 'relative', ratio: 0.9, to: 1 }),
  {
    id: 6,
    title: `GET /v0/presence, ${(settings.users / 2).toLocaleString('en')} present`,
    users: settings.users,
    tokens: 200,
    changeEveryMs: 0,
    timeDependent: false,
    conditional: false,
    expectStatus: 200,
    request: (user) => ({ method: 'GET', path: '/v0/presence', headers: bearer(user) }),
    check: (status, body) => {
      const answer = JSON.parse(body) as { meta: { code: number }; data: unknown[] };
      expect(status === 200 && answer.meta.code === 200, `expected 200, got ${status}`);
      return `${answer.data.length} users in data`;
    },
    target: { kind: 'express', ratio: 0.8 },
  },
];

const STREAM_SCENARIO = 'S';

const streamSettings: StreamSettings = {
  streams: intEnv('BENCH_STREAMS', 10_000),
  watched: intEnv('BENCH_STREAM_WATCHED', 100),
  changesPerSecond: intEnv('BENCH_STREAM_CHANGES', 200),
  seconds: intEnv('BENCH_STREAM_SECONDS', 10),
};

function selectedScenarios(): { scenarios: Scenario[]; stream: boolean } {
  const raw = process.env.BENCH_SCENARIOS;
  if (raw === undefined || raw.trim() === '') return { scenarios: SCENARIOS, stream: true };
  const names = raw.split(',').map((id) => id.trim());
  const stream = names.includes(STREAM_SCENARIO);
  const ids = names.filter((name) => name !== STREAM_SCENARIO).map(Number);
  const unknown = ids.filter((id) => !SCENARIOS.some((scenario) => scenario.id === id));
  if (unknown.length > 0) throw new Error(`BENCH_SCENARIOS: no scenario ${unknown.join(', ')} (there are 1 to ${SCENARIOS.length}, and S)`);
  return { scenarios: SCENARIOS.filter((scenario) => ids.includes(scenario.id)), stream };
}

// ---------------------------------------------------------------------------------------------------------------
// Processes

/** The service's own settings are loadConfig's defaults: nothing from the caller's environment leaks in. */
const CONFIG_VARIABLES = [
  'PORT', 'MONGODB_URI', 'ADMIN_USERNAME', 'ADMIN_PASS', 'DELTA_WINDOW_SECONDS', 'DELTA_OVERLAP_SECONDS', 'PRESENCE_TTL_SECONDS',
  'LOG_LEVEL', 'STORE_TIMEOUT_MS', 'CACHE_MAX_AGE_MS', 'AUTH_CACHE_MAX_ENTRIES', 'CORS_ORIGINS', 'LOGIN_RATE_LIMIT',
  'LOGIN_RATE_WINDOW_SECONDS', 'TRUST_PROXY', 'SHUTDOWN_TIMEOUT_MS', 'METRICS_TOKEN', 'SLOW_REQUEST_MS', 'LOGIN_EXPIRATION_DAYS',
  'STREAM_POLL_MS', 'STREAM_HEARTBEAT_SECONDS', 'STREAM_RETRY_MS', 'STREAM_MAX_PER_USER', 'STREAM_MAX_PER_INSTANCE', 'STREAM_MAX_BUFFER_BYTES',
  'STREAM_TICKET_SECONDS', 'STREAM_REVALIDATE_MS',
];

function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production', ...extra };
  for (const name of CONFIG_VARIABLES) delete env[name];
  delete env.NODE_OPTIONS;
  // The documented production level.
  env.LOG_LEVEL = 'info';
  return env;
}

/** How long one scenario may take, all runs and start-up included; children die after it whatever happens. */
function scenarioBudgetMs(): number {
  return (3 * settings.warmupSeconds + 3 * settings.rounds * (settings.seconds + 5)) * 1000 + 300_000;
}

interface Service {
  child: Child;
  ready: ServiceReady;
}

/** What starting a service process needs to know of a scenario. */
type ServiceNeeds = Pick<Scenario, 'users' | 'tokens' | 'changeEveryMs'> & { id: number | string };

function profileFileOf(scenario: ServiceNeeds): string {
  return path.join(PROFILE_DIR, `scenario-${scenario.id}.cpuprofile`);
}

async function startService(scenario: ServiceNeeds, profiled: boolean): Promise<Service> {
  const profileFile = profiled ? profileFileOf(scenario) : undefined;
  if (profileFile !== undefined) mkdirSync(PROFILE_DIR, { recursive: true });
  const child = startChild(path.join(__dirname, 'serviceProcess.js'), {
    // --expose-gc only lets the bench collect garbage before it reads the memory; it changes nothing else.
    execArgv: profileFile === undefined ? ['--expose-gc'] : ['--expose-gc', '--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${path.basename(profileFile)}`],
    env: childEnv({
      BENCH_USERS: String(scenario.users),
      BENCH_TOKENS: String(scenario.tokens),
      BENCH_CHANGE_EVERY_MS: String(scenario.changeEveryMs),
      BENCH_CHILD_MAX_MS: String(scenarioBudgetMs()),
    }),
    // The request log goes to stdout: /dev/null, so it is all done but nobody has to read it.
    quietStdout: true,
    label: 'service',
  });
  try {
    const ready = await child.next<ServiceReady>('ready', 300_000);
    return { child, ready };
  } catch (error) {
    await child.stop(1000);
    throw error;
  }
}

async function startBaseline(kind: 'express' | 'http', serve: BaselineServe): Promise<{ child: Child; port: number }> {
  const child = startChild(path.join(__dirname, 'baselines.js'), {
    args: [kind],
    env: childEnv({ BENCH_CHILD_MAX_MS: String(scenarioBudgetMs()) }),
    quietStdout: false,
    label: `${kind} baseline`,
  });
  child.send(serve);
  try {
    const ready = await child.next<BaselineReady>('ready', 30_000);
    return { child, port: ready.port };
  } catch (error) {
    await child.stop(1000);
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// One real answer, to check the scenario and to give the baselines the same bytes

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function fetchOnce(port: number, spec: RequestSpec): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: spec.method, path: spec.path, headers: spec.headers, agent: false, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${spec.path} within 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

interface Probe {
  serve: BaselineServe;
  etag: string | undefined;
  bodyBytes: number;
  note: string;
}

async function probe(scenario: Scenario, port: number, user: BenchUser): Promise<Probe> {
  const first = await fetchOnce(port, scenario.request(user, Date.now(), undefined));
  const note = scenario.check(first.status, first.body);
  const etag = typeof first.headers.etag === 'string' ? first.headers.etag : undefined;
  if (scenario.conditional) {
    expect(etag !== undefined, 'the full list has no ETag');
    const again = await fetchOnce(port, scenario.request(user, Date.now(), etag));
    expect(again.status === 304, `If-None-Match with the current ETag got ${again.status}, not 304`);
  }
  return {
    serve: { type: 'serve', body: first.body, contentType: String(first.headers['content-type'] ?? 'application/json'), ...(scenario.conditional ? { etag } : {}) },
    etag,
    bodyBytes: Buffer.byteLength(first.body),
    note: scenario.conditional ? `304 to the tag of a ${Buffer.byteLength(first.body)}-byte list (${note})` : note,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Load

type TargetName = 'service' | 'express' | 'node:http';

interface RunStats {
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

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * One autocannon run. Every connection gets its own slice of the users' tokens and cycles through it; the same
 * requests go to the service and to the baselines, so the load generator does the same work for each.
 */
function drive(port: number, scenario: Scenario, users: BenchUser[], durationS: number, etag: string | undefined, target: TargetName, round: number): Promise<RunStats> {
  const perClient = Math.max(1, Math.floor(users.length / settings.connections));
  const requestsFor = (clientIndex: number) => {
    const now = Date.now();
    const list: autocannon.Request[] = [];
    for (let k = 0; k < perClient; k += 1) list.push(scenario.request(users[(clientIndex * perClient + k) % users.length], now, etag));
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

// ---------------------------------------------------------------------------------------------------------------
// A scenario

interface Aggregate {
  rps: number;
  p50: number;
  p99: number;
  bytesPerResponse: number;
  roundsRps: number[];
  valid: boolean;
  problems: string[];
}

interface ScenarioResult {
  scenario: Scenario;
  note: string;
  bodyBytes: number;
  seeded: ServiceReady;
  memory: MemoryReport;
  runs: RunStats[];
  service: Aggregate;
  express: Aggregate;
  nodeHttp: Aggregate;
  profile?: ProfileSummary;
}

function aggregate(runs: RunStats[], expectStatus: number): Aggregate {
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

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function runScenario(scenario: Scenario): Promise<ScenarioResult> {
  log(`\n[${scenario.id}] ${scenario.title}: seeding ${scenario.users.toLocaleString('en')} users…`);
  const service = await startService(scenario, false);
  const stoppers: Child[] = [service.child];
  try {
    const { ready } = service;
    log(`    seeded in ${(ready.seedMs / 1000).toFixed(1)} s, RSS ${(ready.rssAfterSeed / MB).toFixed(0)} MB, ${ready.onlineUsers} online`);
    const users = ready.users;
    const answer = await probe(scenario, ready.port, users[0]);
    log(`    answer: ${answer.bodyBytes} bytes, ${answer.note}`);
    const express = await startBaseline('express', answer.serve);
    stoppers.push(express.child);
    const nodeHttp = await startBaseline('http', answer.serve);
    stoppers.push(nodeHttp.child);
    const ports: Record<TargetName, number> = { service: ready.port, express: express.port, 'node:http': nodeHttp.port };

    if (settings.warmupSeconds > 0) {
      for (const target of ['service', 'express', 'node:http'] as const) {
        await drive(ports[target], scenario, users, settings.warmupSeconds, answer.etag, target, 0);
      }
    }
    const runs: RunStats[] = [];
    for (let round = 1; round <= settings.rounds; round += 1) {
      // A B C, then C B A: a machine getting steadily faster or slower weighs on every target alike.
      const order: TargetName[] = round % 2 === 1 ? ['service', 'express', 'node:http'] : ['node:http', 'express', 'service'];
      for (const target of order) {
        const run = await drive(ports[target], scenario, users, settings.seconds, answer.etag, target, round);
        runs.push(run);
        log(`    round ${round} ${target.padEnd(9)} ${run.rps.toFixed(0).padStart(7)} req/s  p50 ${run.p50.toFixed(2)} ms  p99 ${run.p99.toFixed(2)} ms  ${run.bytesPerResponse.toFixed(0)} B/resp  ${JSON.stringify(run.statusCodes)}`);
      }
    }
    service.child.send({ type: 'memory' });
    const memory = await service.child.next<MemoryReport>('memory', 10_000);
    const of = (target: TargetName) => aggregate(runs.filter((run) => run.target === target), scenario.expectStatus);
    return { scenario, note: answer.note, bodyBytes: answer.bodyBytes, seeded: ready, memory, runs, service: of('service'), express: of('express'), nodeHttp: of('node:http'), profile: undefined };
  } finally {
    await Promise.all(stoppers.map((child) => child.stop(5_000)));
  }
}

/**
 * The hot path of a scenario: a fresh service under --cpu-prof, the same load for one warm-up and one run (not
 * counted in the table, so the profiler's cost does not weigh on the ratios), then its self time by function,
 * from the start of that run on.
 */
async function profileScenario(scenario: Scenario): Promise<ProfileSummary | undefined> {
  log(`    profiling: a fresh service under --cpu-prof, ${settings.warmupSeconds} s warm-up + ${settings.seconds} s`);
  const service = await startService(scenario, true);
  let fromUs: number;
  try {
    const answer = await probe(scenario, service.ready.port, service.ready.users[0]);
    if (settings.warmupSeconds > 0) await drive(service.ready.port, scenario, service.ready.users, settings.warmupSeconds, answer.etag, 'service', 0);
    service.child.send({ type: 'mark' });
    fromUs = (await service.child.next<MarkReport>('mark', 10_000)).atUs;
    const run = await drive(service.ready.port, scenario, service.ready.users, settings.seconds, answer.etag, 'service', 0);
    log(`    profiled run: ${run.rps.toFixed(0)} req/s  p50 ${run.p50.toFixed(2)} ms  p99 ${run.p99.toFixed(2)} ms`);
  } finally {
    // Writing a profile takes a moment; only a clean exit writes it at all.
    await service.child.stop(60_000);
  }
  const file = profileFileOf(scenario);
  if (!existsSync(file)) {
    log(`    (no profile written at ${file})`);
    return undefined;
  }
  const summary = summariseProfile(file, 15, fromUs);
  log(`    profile: ${path.relative(process.cwd(), file)}\n${formatSummary(summary).replace(/^/gm, '      ')}`);
  return summary;
}

// ---------------------------------------------------------------------------------------------------------------
// Verdicts and report

interface Verdict {
  ratio: number | undefined;
  target: string;
  pass: boolean | undefined;
  shortBy: string;
}

function verdict(result: ScenarioResult, all: ScenarioResult[]): Verdict {
  const { target } = result.scenario;
  const vsExpress = result.service.rps / result.express.rps;
  if (!result.service.valid || !result.express.valid) return { ratio: undefined, target: '', pass: false, shortBy: 'run invalid' };
  if (target.kind === 'express') {
    const pass = vsExpress >= target.ratio;
    const needRps = target.ratio * result.express.rps;
    return {
      ratio: vsExpress,
      target: `≥ ${target.ratio} × Express`,
      pass,
      shortBy: pass ? '' : `${(((target.ratio - vsExpress) / target.ratio) * 100).toFixed(0)}% short: ${result.service.rps.toFixed(0)} req/s, needs ${needRps.toFixed(0)} (+${(needRps / result.service.rps - 1).toLocaleString('en', { style: 'percent' })})`,
    };
  }
  const reference = all.find((other) => other.scenario.id === target.to);
  if (reference === undefined) return { ratio: undefined, target: `≥ ${target.ratio} × (${target.to})`, pass: undefined, shortBy: `needs scenario ${target.to} in the same run` };
  // Compared through each one's Express ratio, so drift between the two scenarios' runs cancels out.
  const ratio = vsExpress / (reference.service.rps / reference.express.rps);
  const raw = result.service.rps / reference.service.rps;
  const pass = ratio >= target.ratio;
  const detail = `through the Express ratios; raw req/s ratio ${raw.toFixed(2)}`;
  return {
    ratio,
    target: `≥ ${target.ratio} × (${target.to})`,
    pass,
    shortBy: pass ? `(${detail})` : `${(((target.ratio - ratio) / target.ratio) * 100).toFixed(0)}% short of ${target.ratio} × (${target.to}) (${detail})`,
  };
}

const fmtRps = (rps: number) => Math.round(rps).toLocaleString('en');
const fmtMs = (ms: number) => (Number.isFinite(ms) ? ms.toFixed(2) : '–');
const fmtRatio = (ratio: number) => ratio.toFixed(2);
const mark = (pass: boolean | undefined) => (pass === undefined ? 'n/a' : pass ? 'PASS' : 'MISS');

function resultTable(results: ScenarioResult[]): string {
  const lines = [
    '| # | scenario | req/s | p50 ms | p99 ms | × Express | × node:http | target | result |',
    '|---|---|---:|---:|---:|---:|---:|---|---|',
  ];
  for (const result of results) {
    const v = verdict(result, results);
    const targetCell = result.scenario.target.kind === 'relative' && v.ratio !== undefined ? `${v.target} (${fmtRatio(v.ratio)})` : v.target;
    lines.push(
      `| ${result.scenario.id} | ${result.scenario.title} | ${fmtRps(result.service.rps)} | ${fmtMs(result.service.p50)} | ${fmtMs(result.service.p99)} | ${fmtRatio(result.service.rps / result.express.rps)} | ${fmtRatio(result.service.rps / result.nodeHttp.rps)} | ${targetCell} | ${mark(v.pass)}${v.shortBy === '' ? '' : v.pass === true ? ` ${v.shortBy}` : `: ${v.shortBy}`} |`,
    );
  }
  return lines.join('\n');
}

function baselineTable(results: ScenarioResult[]): string {
  const lines = [
    '| # | answer | service B/resp | Express req/s | Express p50 / p99 ms | node:http req/s | node:http p50 / p99 ms | service req/s by round | Express by round | node:http by round |',
    '|---|---|---:|---:|---:|---:|---:|---|---|---|',
  ];
  const rounds = (aggregate: Aggregate) => aggregate.roundsRps.map(fmtRps).join(' / ');
  for (const r of results) {
    lines.push(
      `| ${r.scenario.id} | ${r.note} | ${r.service.bytesPerResponse.toFixed(0)} | ${fmtRps(r.express.rps)} | ${fmtMs(r.express.p50)} / ${fmtMs(r.express.p99)} | ${fmtRps(r.nodeHttp.rps)} | ${fmtMs(r.nodeHttp.p50)} / ${fmtMs(r.nodeHttp.p99)} | ${rounds(r.service)} | ${rounds(r.express)} | ${rounds(r.nodeHttp)} |`,
    );
  }
  return lines.join('\n');
}

function rssVerdict(bytes: number): string {
  const mb = bytes / MB;
  return mb <= RSS_TARGET_MB ? 'PASS' : `MISS by ${(mb - RSS_TARGET_MB).toFixed(0)} MB`;
}

function memoryLines(results: ScenarioResult[]): string[] {
  const mb = (bytes: number) => `${(bytes / MB).toFixed(0)} MB`;
  return results.map((r) => {
    const { memory, seeded } = r;
    const large = r.scenario.users >= 100_000;
    return [
      `- (${r.scenario.id}) ${r.scenario.users.toLocaleString('en')} users: RSS **${mb(seeded.rssAfterSeed)}** after seeding and a full GC (heap ${mb(seeded.heapUsedAfterSeed)})${large ? ` — target ≤ ${RSS_TARGET_MB} MB: ${rssVerdict(seeded.rssAfterSeed)}` : ''};`,
      `peak **${mb(memory.peakRss)}** under load${large ? ` (${rssVerdict(memory.peakRss)})` : ''};`,
      `at the end of the runs RSS ${mb(memory.rss)}, heap ${mb(memory.heapUsed)} used of ${mb(memory.heapTotal)}, external ${mb(memory.external)}; after a full GC heap ${mb(memory.heapUsedAfterGc)}, RSS ${mb(memory.rssAfterGc)}`,
    ].join(' ');
  });
}

function machine(): string[] {
  const cpus = os.cpus();
  let autocannonVersion = '?';
  let expressVersion = '?';
  try {
    autocannonVersion = (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', 'autocannon', 'package.json'), 'utf8')) as { version: string }).version;
    expressVersion = (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', 'express', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    // versions are informative only
  }
  let commit = '';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', timeout: 5000 }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8', timeout: 5000 }).trim() !== '';
    if (dirty) commit += ' (src/ has uncommitted changes)';
  } catch {
    commit = 'unknown';
  }
  return [
    `- CPU: ${cpus[0]?.model ?? 'unknown'}, ${cpus.length} logical cores (load generator, service and baselines all share them)`,
    `- RAM: ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB; OS: ${os.type()} ${os.release()} ${os.arch()}`,
    `- Node ${process.version}, Express ${expressVersion}, autocannon ${autocannonVersion}; commit ${commit}`,
  ];
}

function report(results: ScenarioResult[], started: Date, machineLines: string[], loadBefore: number[], loadAfter: number[]): string {
  const settingsLine = `${settings.connections} connections, ${settings.seconds} s per run, ${settings.rounds} measured run${settings.rounds === 1 ? '' : 's'} per target (interleaved), ${settings.warmupSeconds} s warm-up per target; ${settings.users.toLocaleString('en')} users seeded (${settings.largeUsers.toLocaleString('en')} for scenario 5)`;
  const missed = results.map((r) => ({ r, v: verdict(r, results) })).filter(({ v }) => v.pass === false);
  const lines = [
    `Run of ${started.toISOString().replace(/\.\d+Z$/, 'Z')}, \`npm run bench\`.`,
    '',
    ...machineLines,
    `- Load average (1, 5, 15 min) before: ${loadBefore.map((n) => n.toFixed(2)).join(', ')}; after: ${loadAfter.map((n) => n.toFixed(2)).join(', ')}`,
    `- Settings: ${settingsLine}`,
    '',
    resultTable(results),
    '',
    ...results
      .filter((r) => r.scenario.users >= 100_000)
      .map((r) => `**RSS with ${r.scenario.users.toLocaleString('en')} users** (target ≤ ${RSS_TARGET_MB} MB): ${(r.seeded.rssAfterSeed / MB).toFixed(0)} MB after seeding and a full GC, ${rssVerdict(r.seeded.rssAfterSeed)}; ${(r.memory.peakRss / MB).toFixed(0)} MB at the peak under load, ${rssVerdict(r.memory.peakRss)}.\n`),
    'req/s is all measured requests over all measured seconds; p50 and p99 are the mean of the rounds\' percentiles; the ratios divide the service\'s req/s by the baseline\'s, measured in the same scenario, with the same requests and the same body bytes.',
    '',
    '### Memory',
    '',
    ...memoryLines(results),
    '',
    '### Baselines and rounds',
    '',
    baselineTable(results),
    '',
  ];
  const problems = results.flatMap((r) => [...r.service.problems, ...r.express.problems, ...r.nodeHttp.problems].map((p) => `- (${r.scenario.id}) ${p}`));
  if (problems.length > 0) lines.push('### Invalid runs', '', ...problems, '');
  if (missed.length > 0) {
    lines.push('### Missed targets', '', ...missed.map(({ r, v }) => `- (${r.scenario.id}) ${r.scenario.title}: ${v.shortBy}`), '');
  }
  const profiled = results.filter((r) => r.profile !== undefined);
  if (profiled.length > 0) {
    lines.push(
      '### Service CPU profiles',
      '',
      'Self time by function and by package, from one extra run per scenario against a fresh service under `node --cpu-prof` (1 ms sampling; that run is not in the table above). "Busy" is the time the service\'s main thread was not idle.',
      '',
    );
    for (const r of profiled) lines.push(`#### (${r.scenario.id}) ${r.scenario.title}`, '', formatSummary(r.profile as ProfileSummary), '');
  }
  return lines.join('\n');
}

const STREAM_TARGETS = { p99Ms: 250, rssMb: 600 };

function streamSection(result: StreamResult): string {
  const ok = (pass: boolean) => (pass ? 'PASS' : 'MISS');
  const held = result.streamsHeld === streamSettings.streams;
  return [
    `### (S) Live presence stream: ${streamSettings.streams.toLocaleString('en')} streams × ${streamSettings.watched} watched users, ${streamSettings.changesPerSecond} changes/s for ${streamSettings.seconds} s`,
    '',
    '| measure | value | target |',
    '| --- | --- | --- |',
    `| streams held to the end | ${result.streamsHeld.toLocaleString('en')} of ${result.streamsOpened.toLocaleString('en')} (opened in ${(result.openMs / 1000).toFixed(1)} s) | all, ${ok(held)} |`,
    `| delivery latency, write sent → event parsed, p50 / p99 / max | ${result.latencyP50Ms.toFixed(1)} / ${result.latencyP99Ms.toFixed(1)} / ${result.latencyMaxMs.toFixed(1)} ms | p99 ≤ ${STREAM_TARGETS.p99Ms} ms, ${ok(result.latencyP99Ms <= STREAM_TARGETS.p99Ms)} |`,
    `| changes sent; deliveries (one user's change at one subscriber) | ${result.changesSent.toLocaleString('en')}; ${result.deliveries.toLocaleString('en')} | |`,
    `| events received | ${result.eventsReceived.toLocaleString('en')} (${Math.round(result.eventsPerSecond).toLocaleString('en')}/s) | |`,
    `| service CPU (of one core) | ${result.serviceCpuPercent.toFixed(0)} % | |`,
    `| service RSS with the streams open, at rest / peak | ${result.rssAtRestMb.toFixed(0)} / ${result.rssPeakMb.toFixed(0)} MB | ≤ ${STREAM_TARGETS.rssMb} MB, ${ok(result.rssPeakMb <= STREAM_TARGETS.rssMb)} |`,
    '',
    'The subscribers and the writer run in the bench\'s own process, on the same two cores as the service: the latency includes their parsing and the scheduling between the processes.',
    '',
  ].join('\n');
}

const START = '<!-- bench:results:start (written by `npm run bench`; edit outside these markers) -->';
const END = '<!-- bench:results:end -->';

function writeDoc(section: string): void {
  const block = `${START}\n${section.trim()}\n${END}`;
  let doc = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '# Benchmarks\n\n## Latest results\n\n';
  const start = doc.indexOf(START.slice(0, 30));
  const end = doc.indexOf(END);
  if (start >= 0 && end > start) doc = doc.slice(0, start) + block + doc.slice(end + END.length);
  else doc = `${doc.trimEnd()}\n\n${block}\n`;
  mkdirSync(path.dirname(DOC), { recursive: true });
  writeFileSync(DOC, doc);
}

// ---------------------------------------------------------------------------------------------------------------

/** Scenario S, on a service under --cpu-prof when BENCH_PROFILE is set (profiled from when the streams are open). */
async function runStream(): Promise<{ result: StreamResult; profile?: ProfileSummary }> {
  const needs = { id: STREAM_SCENARIO, users: settings.users, tokens: settings.users, changeEveryMs: 0 };
  const profiled = settings.profile !== 'off';
  const service = await startService(needs, profiled);
  let result: StreamResult;
  try {
    log(`(S) ${streamSettings.streams} streams × ${streamSettings.watched} users, ${streamSettings.changesPerSecond} changes/s for ${streamSettings.seconds} s`);
    result = await runStreamScenario(service.child, service.ready, streamSettings);
  } finally {
    await service.child.stop(60_000);
  }
  const file = profileFileOf(needs);
  if (!profiled || !existsSync(file)) return { result };
  return { result, profile: summariseProfile(file, 15, result.changesStartedAtUs) };
}

async function main(): Promise<void> {
  const { scenarios, stream } = selectedScenarios();
  const started = new Date();
  const loadBefore = os.loadavg();
  // Read now: what is measured is what was built at the start, whatever is committed during the run.
  const machineLines = machine();
  const budget = (scenarios.length + (stream ? 1 : 0)) * scenarioBudgetMs() + 60_000;
  setTimeout(() => {
    process.stderr.write(`bench: not done after ${Math.round(budget / 1000)} s; giving up\n`);
    process.exit(1);
  }, budget).unref();

  log(`presence bench: ${scenarios.map((s) => s.id).join(', ')}; ${settings.connections} connections, ${settings.seconds} s × ${settings.rounds} rounds per target${settings.profile === 'off' ? '' : `, profiling ${settings.profile === 'all' ? 'every scenario' : 'the scenarios that miss'}`}`);
  const results: ScenarioResult[] = [];
  for (const scenario of scenarios) {
    const result = await runScenario(scenario);
    results.push(result);
    const missed = verdict(result, results).pass === false;
    if (settings.profile === 'all' || (settings.profile === 'missed' && missed)) result.profile = await profileScenario(scenario);
  }

  const streamRun = stream ? await runStream() : undefined;
  const streamProfile = streamRun?.profile === undefined ? '' : `\n#### (S) service CPU profile, from the first change on\n\n${formatSummary(streamRun.profile)}\n`;
  const section = report(results, started, machineLines, loadBefore, os.loadavg()) + (streamRun === undefined ? '' : `\n${streamSection(streamRun.result)}${streamProfile}`);
  log(`\n${section}`);
  const docSetting = process.env.BENCH_DOC;
  const writeIt = docSetting === '1' || (docSetting !== '0' && scenarios.length === SCENARIOS.length && stream);
  if (writeIt) {
    writeDoc(section);
    log(`\nwritten to ${path.relative(process.cwd(), DOC)}`);
  } else {
    log('\n(docs/benchmarks.md not written: not every scenario ran; BENCH_DOC=1 writes it anyway)');
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
