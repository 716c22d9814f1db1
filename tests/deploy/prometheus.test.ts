import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import request from 'supertest';
import { createApp, type PresenceApp } from '../../src/app';
import { systemClock } from '../../src/domain/ports/clock';
import { createMetrics } from '../../src/metrics/createMetrics';
import { listen, openStream } from '../api/stream/sseClient';
import { storeKinds, type TestStore } from '../support/stores';
import { seedInto, TEST_CONFIG, TEST_PASSWORD } from '../support/testApp';
import { waitFor } from '../support/waitFor';
import { describeWithBinary, freePort, startProcess, type RunningProcess } from './support/processes';
import { exprFieldsIn, metricNamesIn, seriesNamesExported, withGrafanaVariables } from './support/promql';

const PROMETHEUS = '/usr/bin/prometheus';
const PROMTOOL = '/usr/bin/promtool';
const DASHBOARD_FILE = resolve(__dirname, '../../deploy/grafana/presence-dashboard.json');
const RULES_FILE = resolve(__dirname, '../../deploy/prometheus/alerts.yml');
/** Series Prometheus writes itself for every target, which no /metrics exports. */
const PROMETHEUS_OWN_SERIES = new Set(['up']);
/** The alerts deploy/prometheus/alerts.yml defines, each with its `for:` in seconds. */
const ALERTS: Record<string, number> = {
  PresenceInstanceNotReady: 120,
  PresenceHigh5xxRate: 300,
  PresenceStoreErrors: 300,
  PresenceSlowRequests: 600,
  PresenceStreamBacklog: 300,
  PresenceStreamDeliverySlow: 600,
};

describe('metricNamesIn (the PromQL tokenizer the checks below rely on)', () => {
  it.each([
    ['up{job="presence"} == 0', ['up']],
    ['sum by (route) (rate(http_request_duration_seconds_count{job=~"p", route!="/a{b}"}[1m]))', ['http_request_duration_seconds_count']],
    ['sum by(job, instance) (rate(a_total[5m])) / sum by(job, instance) (rate(b_count[5m])) > 0.01', ['a_total', 'b_count']],
    ['histogram_quantile(0.99, sum without (pod) (rate(x_bucket{le!="+Inf"}[5m:30s] offset 1h))) > 1e-3', ['x_bucket']],
    ['a unless on (instance) group_left (version) b or c and bool d', ['a', 'b', 'c', 'd']],
    ['max(presence_present_users) * 2 + nodejs_heap_size_used_bytes', ['presence_present_users', 'nodejs_heap_size_used_bytes']],
  ])('%s names %j', (expression, names) => {
    expect(metricNamesIn(expression).sort()).toEqual([...names].sort());
  });

  it('expands histogram families of an exposition into their series', () => {
    const names = seriesNamesExported('# HELP h x\n# TYPE h histogram\nh_bucket{le="1"} 0\n# TYPE c_total counter\nc_total 1\n');
    expect([...names].sort()).toEqual(['c_total', 'h', 'h_bucket', 'h_count', 'h_sum']);
  });
});

// Real time throughout: Prometheus scrapes and evaluates rules on its own wall clock.
describeWithBinary(PROMETHEUS, 'prometheus', 'the Grafana dashboard and the alert rules against a real Prometheus', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Record<string, unknown> & { templating: { list: { name: string; definition?: string }[] } };
  let store: TestStore;
  let app: PresenceApp;
  let server: Awaited<ReturnType<typeof listen>>;
  let prometheus: RunningProcess | undefined;
  let prometheusUrl: string;
  let workDir: string;
  let exported: Set<string>;

  async function prometheusApi<T>(path: string): Promise<{ status: string; data: T; error?: string }> {
    const res = await fetch(`${prometheusUrl}${path}`);
    return (await res.json()) as { status: string; data: T; error?: string };
  }

  async function instantQuery(expression: string): Promise<{ status: string; error?: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } }> {
    return prometheusApi(`/api/v1/query?query=${encodeURIComponent(expression)}`);
  }

  beforeAll(async () => {
    store = await storeKinds()[0].create();
    app = createApp({ store, clock: systemClock, config: TEST_CONFIG, logger: pino({ level: 'silent' }), metrics: createMetrics({ processMetrics: true }) });
    server = await listen(app);

    // Traffic enough for every family to be exported: logins (one refused), a status, both APIs, a stream.
    const alice = await seedInto(store, systemClock, { username: 'alice' });
    expect((await request(app).post('/api/v1/login').send({ user: 'alice', password: TEST_PASSWORD })).status).toBe(200);
    expect((await request(app).post('/api/v1/login').send({ user: 'alice', password: 'wrong' })).status).toBe(401);
    expect((await request(app).post('/api/v1/users.setStatus').set(alice.headers).send({ status: 'online' })).status).toBe(200);
    expect((await request(app).get('/v0/presence').set(alice.bearer)).status).toBe(200);
    expect((await request(app).get('/readyz')).status).toBe(200);
    const stream = await openStream(server.port, '/api/v1/users.presence.stream', alice.headers);
    expect(stream.status).toBe(200);
    await stream.event(0);
    stream.close();
    const scraped = await request(app).get('/metrics');
    expect(scraped.status).toBe(200);
    exported = seriesNamesExported(scraped.text);

    workDir = mkdtempSync(join(tmpdir(), 'presence-prometheus-'));
    const port = await freePort();
    prometheusUrl = `http://127.0.0.1:${port}`;
    const config = join(workDir, 'prometheus.yml');
    writeFileSync(config, [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'rule_files:',
      `  - ${JSON.stringify(RULES_FILE)}`,
      'scrape_configs:',
      '  - job_name: presence',
      '    static_configs:',
      `      - targets: ["127.0.0.1:${server.port}"]`,
      '',
    ].join('\n'));
    prometheus = startProcess(PROMETHEUS, [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(workDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--query.lookback-delta=30s',
      '--log.level=warn',
    ]);
    // Until Prometheus listens and has scraped the service once.
    await waitFor(async () => ((await instantQuery('up{job="presence"}')).data?.result?.[0]?.value[1] === '1' ? true : undefined), { unless: () => prometheus?.assertRunning() });
  }, 30000);

  afterAll(async () => {
    await prometheus?.stop();
    await server?.close();
    app?.closeStreams();
    await store?.dispose();
    if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
  });

  it('has every metric family the dashboard and rules rely on in /metrics', () => {
    const needed = ['http_request_duration_seconds_bucket', 'presence_open_streams', 'presence_login_failures_total', 'process_resident_memory_bytes', 'presence_store_call_errors_total'];
    expect(needed.filter((name) => !exported.has(name))).toEqual([]);
  });

  it('sees the service through the scrape: the present user', async () => {
    const answer = await instantQuery('presence_present_users{job="presence"}');
    expect(answer.status).toBe('success');
    expect(answer.data.result.map((sample) => sample.value[1])).toEqual(['1']);
  });

  it('passes promtool check rules, and Prometheus loaded and evaluated every rule of the file without error', async () => {
    // Real time: a promtool that hangs is killed after 10 s of the wall clock rather than left behind the test.
    const { stdout } = await promisify(execFile)(PROMTOOL, ['check', 'rules', RULES_FILE], { timeout: 10000 });
    const found = Number(/SUCCESS: (\d+) rules found/.exec(stdout)?.[1]);
    expect(found).toBe([...readFileSync(RULES_FILE, 'utf8').matchAll(/^\s*- (?:alert|record):/gm)].length);
    expect(found).toBe(Object.keys(ALERTS).length);

    type Rule = { name: string; type: string; query: string; duration: number; health: string; lastError?: string; labels: Record<string, string>; annotations: Record<string, string>; lastEvaluation: string };
    // Prometheus evaluates the rules every second, on its own clock.
    const rules = await waitFor(async () => {
      const answer = await prometheusApi<{ groups: { rules: Rule[] }[] }>('/api/v1/rules');
      const all = answer.data.groups.flatMap((group) => group.rules);
      return all.length > 0 && all.every((rule) => !rule.lastEvaluation.startsWith('0001-')) ? all : undefined;
    });
    expect(rules.map((rule) => rule.name).sort()).toEqual(Object.keys(ALERTS).sort());
    for (const rule of rules) {
      expect({ rule: rule.name, health: rule.health, lastError: rule.lastError ?? '' }).toEqual({ rule: rule.name, health: 'ok', lastError: '' });
      expect({ rule: rule.name, type: rule.type, duration: rule.duration }).toEqual({ rule: rule.name, type: 'alerting', duration: ALERTS[rule.name] });
      expect(['warning', 'critical']).toContain(rule.labels.severity);
      expect(rule.annotations.summary).toMatch(/\S/);
      expect(rule.annotations.description).toMatch(/\S/);
    }
  }, 15000);

  /** The expressions as Prometheus parsed them from the rules file (its own reading of every `expr`). */
  async function ruleExpressions(): Promise<string[]> {
    const answer = await prometheusApi<{ groups: { rules: { query: string }[] }[] }>('/api/v1/rules');
    return answer.data.groups.flatMap((group) => group.rules.map((rule) => rule.query));
  }

  function dashboardExpressions(): string[] {
    return exprFieldsIn(dashboard.panels).map((expression) => withGrafanaVariables(expression, dashboard));
  }

  it('runs every expression of the dashboard and of the rules through Prometheus: each is valid', async () => {
    const expressions = [...dashboardExpressions(), ...(await ruleExpressions())];
    // Every `expr` of the file, found by its text as well as by walking the JSON; and one per alert rule.
    expect(dashboardExpressions()).toHaveLength([...readFileSync(DASHBOARD_FILE, 'utf8').matchAll(/"expr":/g)].length);
    expect(dashboardExpressions().length).toBeGreaterThanOrEqual(10);
    expect(await ruleExpressions()).toHaveLength(Object.keys(ALERTS).length);
    const failures: string[] = [];
    for (const expression of expressions) {
      const answer = await instantQuery(expression);
      if (answer.status !== 'success') failures.push(`${expression}: ${answer.error ?? answer.status}`);
    }
    expect(failures).toEqual([]);
  });

  it('names in every expression (and dashboard variable) only series that /metrics exports', async () => {
    const variableSelectors = dashboard.templating.list.flatMap((variable) => {
      const selector = /^label_values\((.+),\s*\w+\)$/.exec(variable.definition ?? '')?.[1];
      return selector === undefined ? [] : [withGrafanaVariables(selector, dashboard)];
    });
    expect(variableSelectors).toHaveLength(dashboard.templating.list.length);
    const expressions = [...dashboardExpressions(), ...(await ruleExpressions()), ...variableSelectors];
    expect(expressions.length).toBeGreaterThanOrEqual(10 + Object.keys(ALERTS).length);
    const unknown: string[] = [];
    for (const expression of expressions) {
      const names = metricNamesIn(expression);
      if (names.length === 0) unknown.push(`${expression}: names no metric`);
      for (const name of names) if (!exported.has(name) && !PROMETHEUS_OWN_SERIES.has(name)) unknown.push(`${expression}: ${name}`);
    }
    expect(unknown).toEqual([]);
  });
});
