import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import type { PresenceApp } from '../../src/app';
import { ConnectionDrain } from '../../src/http/connectionDrain';
import { shutDown } from '../../src/server';
import { SqliteStore } from '../../src/storage/sqlite/sqliteStore';
import type { SeededUser } from '../support/testApp';
import { buildHarness, captureLogs, listen, type Harness, type Listening } from './support/harness';
import { send } from './support/http';
import { tempDataDir } from '../support/stores';

const ROOT = path.resolve(__dirname, '../..');

function expectRefused(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      reject(new Error('a new connection was accepted during shutdown'));
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') resolve();
      else reject(error);
    });
  });
}

/** A deadline no test here reaches: a shutdown that waited for it would fail on Jest's timeout instead. */
const NO_DEADLINE_MS = 60_000;

describe('graceful shutdown (shutDown)', () => {
  let h: Harness;
  let alice: SeededUser;
  let server: Listening;
  let order: string[];
  beforeEach(async () => {
    // A store timeout well above the slow call, as in production (STORE_TIMEOUT_MS 2000).
    h = buildHarness({ storeTimeoutMs: 5000 });
    alice = await h.seed();
    server = await listen(h.app);
    order = [];
    h.faulty.events.on('call', (operation: string) => {
      if (operation === 'close') order.push('store closed');
    });
  });
  afterEach(async () => {
    h.faulty.heal();
    if (server.server.listening) await server.close();
  });

  it('refuses new connections, lets the in-flight request finish with 200, then closes the store', async () => {
    // GET /me reads the user with findUserById after authentication; that read waits until the test heals the store.
    h.faulty.hold('findUserById');
    const reading = h.faulty.nextCall('findUserById');
    server.server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => res.on('finish', () => order.push('in-flight answered')));
    const inFlight = send(server.port, { path: '/api/v1/me', headers: alice.headers });
    await reading;
    const closeSpy = jest.spyOn(h.faulty, 'close');
    const logs = captureLogs('warn');
    const done = shutDown(server.server, h.store, NO_DEADLINE_MS, logs.logger).then(() => order.push('shutDown resolved'));

    await expectRefused(server.port);
    expect(order).toEqual([]);
    h.faulty.heal();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.json()).toEqual(expect.objectContaining({ _id: alice.user.id, success: true }));
    await done;
    expect(closeSpy).toHaveBeenCalledTimes(1);
    expect(order).toEqual(['in-flight answered', 'store closed', 'shutDown resolved']);
    expect(logs.records()).toEqual([]);
    await expectRefused(server.port);
  });

  it('finishes several in-flight requests of both APIs, including a write', async () => {
    h.faulty.hold('findUserById');
    h.faulty.hold('writePresence');
    const allWaiting = h.faulty.parkedCalls(3);
    const calls = [
      send(server.port, { path: '/api/v1/me', headers: alice.headers }),
      send(server.port, { method: 'PUT', path: '/v0/users/me/presence', headers: { ...alice.bearer, 'Content-Type': 'application/json' }, body: '{"presence":"away"}' }),
      send(server.port, { path: `/v0/users/${alice.user.id}/presence`, headers: alice.bearer }),
    ];
    await allWaiting;
    const done = shutDown(server.server, h.store, NO_DEADLINE_MS, captureLogs().logger);
    await expectRefused(server.port);
    h.faulty.heal();
    const answers = await Promise.all(calls);
    expect(answers.map((res) => res.status)).toEqual([200, 200, 200]);
    await done;
    // The accepted write really happened: it is in the file the store closed.
    const reopened = SqliteStore.open({ dataDir: path.dirname(h.inner.file) });
    expect((await reopened.findUserById(alice.user.id))?.status).toBe('away');
    await reopened.close();
  });

  it('does not wait for idle keep-alive connections', async () => {
    const agent = new http.Agent({ keepAlive: true, keepAliveMsecs: 60000 });
    const res = await send(server.port, { path: '/healthz', agent });
    expect(res.status).toBe(200);
    const logs = captureLogs('warn');
    await shutDown(server.server, h.store, NO_DEADLINE_MS, logs.logger);
    expect(logs.records()).toEqual([]);
    agent.destroy();
  });

  it('answers a request in flight on a keep-alive connection with Connection: close, and does not wait for that connection', async () => {
    const drain = new ConnectionDrain(server.server);
    const agent = new http.Agent({ keepAlive: true, keepAliveMsecs: 60000 });
    h.faulty.hold('findUserById');
    const reading = h.faulty.nextCall('findUserById');
    const inFlight = send(server.port, { path: '/api/v1/me', headers: alice.headers, agent });
    await reading;
    const logs = captureLogs('warn');
    const done = shutDown(server.server, h.store, NO_DEADLINE_MS, logs.logger, () => undefined, drain);
    h.faulty.heal();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.headers.connection).toBe('close');
    // The keep-alive timeout (5 s) would otherwise hold the server open past Jest's timeout.
    await done;
    expect(logs.records()).toEqual([]);
    agent.destroy();
  });

  it('refuses a stream that finishes opening during shutdown with 503, Retry-After and Connection: close, and shuts down at once', async () => {
    const drain = new ConnectionDrain(server.server);
    // Authenticated once, so the stream's own request only waits for its snapshot.
    expect((await send(server.port, { path: '/api/v1/me', headers: alice.headers })).status).toBe(200);
    h.faulty.hang();
    const snapshotRead = h.faulty.nextCall('findPresentCandidates');
    const opening = send(server.port, { path: '/api/v1/users.presence.stream', headers: alice.headers });
    // Its first store call: the stream is recorded as its device's connection.
    const readsStarted = h.faulty.nextCall('putConnection');
    await readsStarted;
    const logs = captureLogs('warn');
    const done = shutDown(server.server, h.store, NO_DEADLINE_MS, logs.logger, () => (h.app as PresenceApp).closeStreams(), drain);
    h.faulty.heal();
    await snapshotRead;
    const res = await opening;
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('3');
    expect(res.headers.connection).toBe('close');
    expect(res.json()).toEqual({ success: false, error: 'This instance is shutting down, try another instance' });
    await done;
    expect(logs.records()).toEqual([]);
  });

  it('closes requests still running at the deadline, logs it, and still closes the store', async () => {
    h.faulty.hang();
    const reachedStore = h.faulty.nextCall();
    const stuck = send(server.port, { path: '/api/v1/users.getStatus', headers: alice.headers }).then(
      (res) => res.status,
      (error: NodeJS.ErrnoException) => error.code,
    );
    await reachedStore;
    const logs = captureLogs('warn');
    const closeSpy = jest.spyOn(h.faulty, 'close');
    // The deadline's timer is the only one faked: sockets, setImmediate and the store run as they do.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'hrtime', 'performance', 'Date'] });
    try {
      let finished = false;
      const done = shutDown(server.server, h.store, 300, logs.logger).then(() => {
        finished = true;
      });
      jest.advanceTimersByTime(299);
      for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
      expect({ finished, logged: logs.records() }).toEqual({ finished: false, logged: [] });
      jest.advanceTimersByTime(1);
      await done;
    } finally {
      jest.useRealTimers();
    }
    expect(await stuck).toBe('ECONNRESET');
    expect(closeSpy).toHaveBeenCalledTimes(1);
    expect(logs.records().map((record) => record.msg)).toEqual([expect.stringMatching(/shutdown deadline/)]);
  });
});

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const probe = net.createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  probe.close();
  await once(probe, 'close');
  return port;
}

/** Polls until `check` resolves true, or fails after `timeoutMs`: real time, as the service is a child process. */
async function eventually(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const answersHealthz = (port: number) => send(port, { path: '/healthz' }).then((res) => res.status === 200);
const refusesConnections = (port: number) => expectRefused(port).then(() => true);

interface Child {
  process: ChildProcess;
  /** The service's DATA_DIR, its own. */
  dataDir: ReturnType<typeof tempDataDir>;
  /** stdout and stderr together, and each alone. */
  output: { text: string; stdout: string; stderr: string };
  exited: Promise<number | null>;
}

function startService(port: number, env: Record<string, string | undefined> = {}): Child {
  const output = { text: '', stdout: '', stderr: '' };
  const dataDir = tempDataDir();
  const child = spawn(process.execPath, ['-r', path.join(__dirname, 'support/registerTs.js'), path.join(ROOT, 'src/server.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      LOG_LEVEL: 'info',
      ADMIN_USERNAME: 'admin',
      ADMIN_PASS: 'sigterm-test-password',
      SHUTDOWN_TIMEOUT_MS: '10000',
      DATA_DIR: dataDir.dir,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (data: Buffer) => {
    output.text += data.toString();
    output.stdout += data.toString();
  });
  child.stderr?.on('data', (data: Buffer) => {
    output.text += data.toString();
    output.stderr += data.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { process: child, dataDir, output, exited };
}

describe('the real entry point (src/server.ts) in a child process', () => {
  let child: Child | undefined;
  afterEach(async () => {
    const running = child?.process;
    if (running !== undefined && running.exitCode === null && running.signalCode === null) {
      running.kill('SIGKILL');
      await child?.exited;
    }
    child?.dataDir.remove();
  });

  it('on SIGTERM stops accepting, finishes the in-flight request with Connection: close and exits 0', async () => {
    const port = await freePort();
    child = startService(port);
    await eventually(`service answers /healthz; output:\n${child.output.text}`, () => answersHealthz(port), 20000);

    // An in-flight request the server cannot finish before the test lets it: the headers and part of the body
    // are sent now, the rest only after SIGTERM.
    const body = JSON.stringify({ user: 'admin', password: 'sigterm-test-password' });
    // Keep-alive, as every HTTP/1.1 client: the answer must tell it to close, so its next request goes elsewhere.
    const head = `POST /api/v1/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    let answer = '';
    socket.on('data', (data) => {
      answer += data.toString();
    });
    const answered = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(head + body.slice(0, 10));
    // Real time: the child process gives no sign that it has read the first bytes, so they are given 300 ms.
    await new Promise((resolve) => setTimeout(resolve, 300));

    child.process.kill('SIGTERM');
    await eventually('new connections refused after SIGTERM', () => refusesConnections(port), 5000);
    expect(child.process.exitCode).toBeNull();

    socket.write(body.slice(10));
    await answered;
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toMatch(/\r\nConnection: close\r\n/i);
    expect(answer).toContain('"authToken"');

    expect(await child.exited).toBe(0);
    await expectRefused(port);
  }, 40000);

  it('writes its start-up lines to stdout when it starts, not when enough log has piled up', async () => {
    // An operator (or `docker logs`) must see "listening" and the generated admin password at start-up; a
    // quiet service must not keep them in a buffer until 4 kB of log have accumulated or it exits.
    const port = await freePort();
    child = startService(port);
    const running = child;
    await eventually('service answers /healthz', () => answersHealthz(port), 20000);
    await eventually(`"presence service listening" on stdout; got:\n${running.output.text}`, async () => /presence service listening/.test(running.output.text), 2000);
    running.process.kill('SIGTERM');
    expect(await running.exited).toBe(0);
  }, 40000);

  it('prints a generated admin password once to stderr, never into the log stream; serves /metrics and /api/openapi.json', async () => {
    const port = await freePort();
    child = startService(port, { ADMIN_PASS: undefined });
    const running = child;
    await eventually(`"presence service listening" on stdout; got:\n${running.output.text}`, async () => /presence service listening/.test(running.output.stdout), 20000);
    const printed = running.output.stderr.match(/^Admin user "admin" created with the generated password: (\S+)$/m);
    expect(printed).not.toBeNull();
    const password = (printed as RegExpMatchArray)[1];
    expect(running.output.stderr.split(password)).toHaveLength(2);
    expect(running.output.stdout).not.toContain(password);
    expect(running.output.stdout).toContain('created admin user with a generated password (printed to stderr)');
    const login = await send(port, { method: 'POST', path: '/api/v1/login', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user: 'admin', password }) });
    expect(login.status).toBe(200);
    // The operations endpoints answer on the started service: metrics with Node's process metrics, and the document.
    const metrics = await send(port, { path: '/metrics' });
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('http_request_duration_seconds_count{route="/api/v1/login",method="POST",status="200"} 1');
    expect(metrics.text).toContain('process_resident_memory_bytes');
    const openApi = await send(port, { path: '/api/openapi.json' });
    expect(openApi.status).toBe(200);
    expect(openApi.json<{ openapi: string }>().openapi).toBe('3.1.0');
    running.process.kill('SIGTERM');
    expect(await running.exited).toBe(0);
  }, 40000);
});
