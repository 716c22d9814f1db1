import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import request from 'supertest';
import { createApp, type PresenceApp } from '../../src/app';
import { systemClock } from '../../src/domain/ports/clock';
import { formatCursor } from '../../src/domain/rules/cursors';
import { createMetrics, type Metrics } from '../../src/metrics/createMetrics';
import { listen, openStream, type SseClient } from '../api/stream/sseClient';
import { storeKinds, type DisposableStore, type TestStore } from '../support/stores';
import { seedInto, TEST_CONFIG, type SeededUser } from '../support/testApp';
import { waitFor } from '../support/waitFor';
import { describeWithBinary, freePort, startProcess, type RunningProcess } from './support/processes';

const NGINX = '/usr/sbin/nginx';
const NGINX_CONF = resolve(__dirname, '../../deploy/nginx.conf');
const STREAM = '/api/v1/users.presence.stream';
/** The stream location's read timeout in this test (60 s in the file), against a 1 s heartbeat. */
const PROXY_READ_TIMEOUT_SECONDS = 3;
/** Failed logins per client address, over both instances together, in this test. */
const LOGIN_RATE_LIMIT = 2;

/** deploy/nginx.conf with the instances' and nginx's addresses and the test's read timeout; each must be found once. */
function siteConfig(instancePorts: [number, number], nginxPort: number): string {
  let text = readFileSync(NGINX_CONF, 'utf8');
  const substitute = (pattern: RegExp, replacement: string) => {
    expect([...text.matchAll(new RegExp(pattern.source, 'g'))]).toHaveLength(1);
    text = text.replace(pattern, replacement);
  };
  substitute(/server presence-1:3000/, `server 127.0.0.1:${instancePorts[0]}`);
  substitute(/server presence-2:3000/, `server 127.0.0.1:${instancePorts[1]}`);
  substitute(/listen 80;/, `listen 127.0.0.1:${nginxPort};`);
  substitute(/proxy_read_timeout \d+s;/, `proxy_read_timeout ${PROXY_READ_TIMEOUT_SECONDS}s;`);
  return text;
}

/** What the nginx image's main nginx.conf gives the file, with every path nginx writes in the test's directory. */
function mainConfig(dir: string): string {
  const temp = (name: string) => `${name}_temp_path ${join(dir, name)};`;
  return [
    'worker_processes 1;',
    `pid ${join(dir, 'nginx.pid')};`,
    'error_log stderr warn;',
    'events { worker_connections 256; }',
    'http {',
    '  access_log off;',
    `  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}`,
    `  include ${join(dir, 'presence.conf')};`,
    '}',
    '',
  ].join('\n');
}

interface Instance {
  app: PresenceApp;
  store: DisposableStore;
  metrics: Metrics;
  server: Awaited<ReturnType<typeof listen>>;
  stopped: boolean;
}

// Real time throughout: nginx's read timeout and the service's heartbeats run on the wall clock.
const kind = storeKinds().find((candidate) => candidate.name === 'mongo') ?? storeKinds()[0];
describeWithBinary(NGINX, 'nginx', `deploy/nginx.conf in front of two instances (${kind.name} store)`, () => {
  let primary: TestStore;
  let instances: Instance[];
  let nginx: RunningProcess;
  let nginxPort: number;
  let workDir: string;
  let alice: SeededUser;
  let carol: SeededUser;
  const opened: SseClient[] = [];

  async function startInstance(store: DisposableStore): Promise<Instance> {
    const metrics = createMetrics();
    const config = { ...TEST_CONFIG, trustProxy: true, streamHeartbeatSeconds: 1, streamPollMs: 100, loginRateLimit: LOGIN_RATE_LIMIT };
    const app = createApp({ store, clock: systemClock, config, logger: pino({ level: 'silent' }), metrics });
    return { app, store, metrics, server: await listen(app), stopped: false };
  }

  /** As on SIGTERM: the instance ends its streams and stops answering. */
  async function stop(instance: Instance): Promise<void> {
    instance.stopped = true;
    instance.app.closeStreams();
    await instance.server.close();
  }

  const throughNginx = () => request(`http://127.0.0.1:${nginxPort}`);

  async function goStatus(who: SeededUser, status: string): Promise<void> {
    const res = await throughNginx().post('/api/v1/users.setStatus').set(who.headers).send({ status });
    expect(res.status).toBe(200);
  }

  async function openThroughNginx(headers: Record<string, string> = {}): Promise<SseClient> {
    const client = await openStream(nginxPort, STREAM, { ...alice.headers, ...headers });
    opened.push(client);
    expect(client.status).toBe(200);
    expect(client.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    return client;
  }

  /** A failed login through nginx from `clientAddress` (any 127.x address is this machine), claiming to come from `claimed`. */
  /** The status and Rocket.Chat's `error` of a failed login through nginx, such as "401 Unauthorized". */
  function failedLoginFrom(clientAddress: string, username: string, claimed: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const body = JSON.stringify({ user: username, password: 'wrong' });
      const req = httpRequest({
        host: '127.0.0.1', port: nginxPort, localAddress: clientAddress, method: 'POST', path: '/api/v1/login',
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'X-Forwarded-For': claimed },
      }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve(`${res.statusCode ?? 0} ${(JSON.parse(text) as { error: string }).error}`));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  const changeOf = (who: SeededUser, status: string) => (client: SseClient) =>
    client.events.some((event) => !event.data.full && event.data.users.some((user) => user._id === who.user.id && user.status === status));

  async function openStreamsOn(instance: Instance): Promise<number> {
    return (await instance.metrics.openStreams.get()).values[0]?.value ?? 0;
  }

  beforeEach(async () => {
    primary = await kind.create();
    instances = [await startInstance(primary), await startInstance(await primary.twin())];
    alice = await seedInto(primary, systemClock, { username: 'alice' });
    carol = await seedInto(primary, systemClock, { username: 'carol' });

    workDir = mkdtempSync(join(tmpdir(), 'presence-nginx-'));
    // nginx started as root runs its worker as nobody, which must reach the temp paths.
    chmodSync(workDir, 0o755);
    nginxPort = await freePort();
    writeFileSync(join(workDir, 'presence.conf'), siteConfig([instances[0].server.port, instances[1].server.port], nginxPort));
    writeFileSync(join(workDir, 'nginx.conf'), mainConfig(workDir));
    nginx = startProcess(NGINX, ['-p', workDir, '-c', join(workDir, 'nginx.conf'), '-e', 'stderr', '-g', 'daemon off;']);
    // nginx proxies /healthz once it listens; until then the connection is refused.
    await waitFor(async () => ((await fetch(`http://127.0.0.1:${nginxPort}/healthz`)).status === 200 ? true : undefined), { unless: () => nginx.assertRunning() });
  });

  afterEach(async () => {
    for (const client of opened.splice(0)) client.close();
    await nginx.stop();
    for (const instance of [...instances].reverse()) {
      if (!instance.stopped) await stop(instance);
      if (instance.store !== primary) await instance.store.dispose();
    }
    await primary.dispose();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('passes a change to a stream as it happens, unbuffered: while the stream is still open', async () => {
    const client = await openThroughNginx();
    expect((await client.event(0)).data.full).toBe(true);
    await goStatus(carol, 'away');
    // A buffering proxy would hold the event until the response ends (never, on heartbeats): the jest timeout fails it.
    await client.until(() => changeOf(carol, 'away')(client), "carol's change");
    expect(client.ended).toBe(false);
    expect(client.events.slice(1).map((event) => event.data)).toEqual([{ full: false, users: [expect.objectContaining({ _id: carol.user.id, status: 'away' })] }]);
  });

  it('keeps an idle stream open past its read timeout, on heartbeats, and it still delivers', async () => {
    const client = await openThroughNginx();
    await client.event(0);
    // Real time: nginx's read timeout runs on the wall clock, so the stream must stay idle past it for real.
    const started = Date.now();
    // Re-checked on every chunk: the keep-alives themselves wake it, at least once a heartbeat (1 s).
    const pastTimeoutMs = (PROXY_READ_TIMEOUT_SECONDS + 1) * 1000;
    await client.until(() => Date.now() - started > pastTimeoutMs, 'the read timeout to pass');
    expect(client.ended).toBe(false);
    expect(client.comments.filter((comment) => comment === 'keep-alive').length).toBeGreaterThanOrEqual(PROXY_READ_TIMEOUT_SECONDS + 1);
    expect(client.comments.filter((comment) => comment !== 'keep-alive')).toEqual([]);
    await goStatus(carol, 'busy');
    await client.until(() => changeOf(carol, 'busy')(client), "carol's change after the idle time");
  }, 15000);

  it('resumes on the other instance with Last-Event-ID when the one holding the stream stops', async () => {
    const client = await openThroughNginx();
    await client.event(0);
    await goStatus(carol, 'away');
    await client.until(() => changeOf(carol, 'away')(client), "carol's first change");
    const holder = await waitFor(async () => {
      const counts = await Promise.all(instances.map(openStreamsOn));
      return [...counts].sort().join() === '0,1' ? instances[counts.indexOf(1)] : undefined;
    });
    const lastEventId = client.events[client.events.length - 1].id as string;
    // A cursor (cursors.ts): the server time in milliseconds, as digits only; one of these years has 13 of them.
    expect(lastEventId).toMatch(/^\d{13}$/);
    expect(formatCursor(Number(lastEventId))).toBe(lastEventId);

    await stop(holder);
    await client.until(() => client.ended, 'the stream to end with its instance');

    const resumed = await openThroughNginx({ 'Last-Event-ID': lastEventId });
    const other = instances.find((instance) => instance !== holder) as Instance;
    expect(await openStreamsOn(other)).toBe(1);
    await goStatus(carol, 'busy');
    await resumed.until(() => changeOf(carol, 'busy')(resumed), "carol's change after the resume");
    // A cursor works on every instance: the resumed stream gets the changes since it (carol's first change, made
    // within the overlap before the cursor, may come again), never a snapshot.
    const carolsStatuses = resumed.events.flatMap((event) => event.data.users.filter((user) => user._id === carol.user.id).map((user) => user.status));
    expect(['busy', 'away,busy']).toContain(carolsStatuses.join());
    expect(resumed.events.filter((event) => event.data.full)).toEqual([]);
  });

  it('forwards the client address, so the login limit counts clients, not nginx, and no one can claim another address', async () => {
    // Round robin over both instances, which count together: past the limit every attempt is refused. Each claims
    // another address and tries another username, so only the address nginx saw can tie them together.
    const statuses: string[] = [];
    for (let attempt = 0; attempt < 3 * 2; attempt += 1) statuses.push(await failedLoginFrom('127.0.0.2', `nobody${attempt}`, `198.51.100.${attempt + 1}`));
    const blocked = '401 error-login-blocked-for-ip';
    expect(statuses).toEqual(['401 Unauthorized', '401 Unauthorized', blocked, blocked, blocked, blocked]);
    // Another client, through the same nginx (the instances see every request come from 127.0.0.1), has its own budget.
    expect([await failedLoginFrom('127.0.0.3', 'someone', '198.51.100.1'), await failedLoginFrom('127.0.0.3', 'someone-else', '198.51.100.2')]).toEqual(['401 Unauthorized', '401 Unauthorized']);
  });
});
