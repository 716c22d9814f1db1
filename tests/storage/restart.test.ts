import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStream } from '../api/stream/sseClient';
import { send } from '../hardening/support/http';
import { freePort } from '../deploy/support/processes';
import { waitFor } from '../support/waitFor';
import { dataFileIn, writeDamagedDataFile, writeTextFile } from '../support/dataFiles';

// Real time: these tests run the real service in child processes (on the system clock) and kill one of them. Every
// wait is for an event (a line of the service's log, its exit); the jest timeout bounds them.

const ROOT = path.resolve(__dirname, '../..');
const ADMIN_PASS = 'restart-test-password';

interface Service {
  process: ChildProcess;
  port: number;
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Resolves once the service logs that it listens; rejects, with its output, if it exits first. */
  listening: Promise<void>;
}

const LISTENING = 'presence service listening';

/** The real entry point, src/server.ts, run from the sources, on `dataDir`. */
async function startService(dataDir: string): Promise<Service> {
  const port = await freePort();
  const child = spawn(process.execPath, ['-r', path.join(ROOT, 'tests/hardening/support/registerTs.js'), path.join(ROOT, 'src/server.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, PORT: String(port), LOG_LEVEL: 'info', ADMIN_PASS, DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let heard: () => void = () => undefined;
  const listening = new Promise<void>((resolve) => (heard = resolve));
  const keep = (data: Buffer) => {
    output += data.toString();
    if (output.includes(LISTENING)) heard();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const exitedFirst = exited.then((code) => Promise.reject(new Error(`the service exited (${code}) before it listened:\n${output}`)));
  const listeningFirst = Promise.race([listening, exitedFirst]);
  // A service meant to refuse to start never listens: its rejection is only an error where a test awaits it.
  listeningFirst.catch(() => undefined);
  return { process: child, port, output: () => output, exited, listening: listeningFirst };
}

/** Once the service says it listens, /healthz answers 200. */
async function healthy(service: Service): Promise<void> {
  await service.listening;
  expect((await send(service.port, { path: '/healthz' })).status).toBe(200);
}

const json = { 'Content-Type': 'application/json' };

describe('the embedded store across restarts (the real service, in child processes)', () => {
  let dataDir: string;
  const running: Service[] = [];
  const start = async (dir = dataDir) => {
    const service = await startService(dir);
    running.push(service);
    return service;
  };
  beforeEach(() => {
    // On the disk (os.tmpdir()), as in production.
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'presence-restart-'));
  });
  afterEach(async () => {
    for (const service of running.splice(0)) {
      if (service.process.exitCode === null && service.process.signalCode === null) {
        service.process.kill('SIGKILL');
        await service.exited;
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('after kill -9 right after a 200, serves the same token, the same presence, the `from` delta and the stream from its cursor', async () => {
    const first = await start();
    await healthy(first);
    const logIn = async (port: number, user: string, password: string) => {
      const answer = await send(port, { method: 'POST', path: '/api/v1/login', headers: json, body: JSON.stringify({ user, password }) });
      expect(answer.status).toBe(200);
      const { userId, authToken } = answer.json<{ data: { userId: string; authToken: string } }>().data;
      return { userId, headers: { 'X-User-Id': userId, 'X-Auth-Token': authToken } };
    };
    const admin = await logIn(first.port, 'admin', ADMIN_PASS);
    const created = await send(first.port, { method: 'POST', path: '/api/v1/users.create', headers: { ...admin.headers, ...json }, body: JSON.stringify({ username: 'ann', name: 'Ann', password: 'ann-password-1', email: 'ann@example.com' }) });
    expect(created.status).toBe(200);
    const ann = await logIn(first.port, 'ann@example.com', 'ann-password-1');
    // What the admin's client holds before Ann's change: a cursor, and the time of its answer (a `from`).
    const list = await send(first.port, { path: '/api/v1/users.presence', headers: admin.headers });
    expect(list.status).toBe(200);
    const cursor = list.headers['x-presence-cursor'] as string;
    // A cursor (cursors.ts): the server's time in milliseconds, digits only; 13 of them in these years.
    expect(cursor).toMatch(/^\d{13}$/);
    // The service runs on the system clock: a client's `from` is that clock's time.
    const from = new Date().toISOString();
    const set = await send(first.port, { method: 'POST', path: '/api/v1/users.setStatus', headers: { ...ann.headers, ...json }, body: JSON.stringify({ status: 'away', message: 'lunch' }) });
    expect(set.status).toBe(200);
    first.process.kill('SIGKILL');
    expect(await first.exited).toBeNull();

    const second = await start();
    await healthy(second);
    const me = await send(second.port, { path: '/api/v1/me', headers: ann.headers });
    expect(me.status).toBe(200);
    expect(me.json()).toMatchObject({ _id: ann.userId, username: 'ann', status: 'away', statusText: 'lunch' });
    const status = await send(second.port, { path: `/api/v1/users.getStatus?userId=${ann.userId}`, headers: admin.headers });
    expect(status.json()).toEqual({ _id: ann.userId, message: 'lunch', status: 'away', success: true });
    const delta = await send(second.port, { path: `/api/v1/users.presence?from=${encodeURIComponent(from)}`, headers: admin.headers });
    expect(delta.status).toBe(200);
    expect(delta.json()).toEqual({ full: false, users: [{ _id: ann.userId, name: 'Ann', username: 'ann', status: 'away', statusText: 'lunch', utcOffset: 0 }], success: true });
    const stream = await openStream(second.port, '/api/v1/users.presence.stream', { ...admin.headers, 'Last-Event-ID': cursor });
    try {
      expect(stream.status).toBe(200);
      const resumed = await stream.event(0);
      // Ann's change, and the admin himself: the stream he just opened is his connection.
      const byId = (a: Record<string, unknown>, b: Record<string, unknown>) => (String(a._id) < String(b._id) ? -1 : 1);
      expect({ ...resumed.data, users: [...resumed.data.users].sort(byId) }).toEqual({
        full: false,
        users: [
          { _id: ann.userId, name: 'Ann', username: 'ann', status: 'away', statusText: 'lunch', utcOffset: 0 },
          { _id: admin.userId, name: 'Administrator', username: 'admin', status: 'online', utcOffset: 0 },
        ].sort(byId),
      });
    } finally {
      stream.close();
    }
  }, 60_000);

  it('after kill -9 in the middle of a burst of presence writes, holds every write that was answered', async () => {
    const first = await start();
    await healthy(first);
    const logIn = async (user: string, password: string) => {
      const answer = await send(first.port, { method: 'POST', path: '/api/v1/login', headers: json, body: JSON.stringify({ user, password }) });
      expect(answer.status).toBe(200);
      const { userId, authToken } = answer.json<{ data: { userId: string; authToken: string } }>().data;
      return { userId, headers: { 'X-User-Id': userId, 'X-Auth-Token': authToken } };
    };
    const admin = await logIn('admin', ADMIN_PASS);
    const writers: { userId: string; headers: Record<string, string>; answered: number }[] = [];
    for (let i = 0; i < 8; i += 1) {
      const created = await send(first.port, { method: 'POST', path: '/api/v1/users.create', headers: { ...admin.headers, ...json }, body: JSON.stringify({ username: `burst${i}`, name: `Burst ${i}`, password: 'burst-password-1', email: `burst${i}@example.com` }) });
      expect(created.status).toBe(200);
      writers.push({ ...(await logIn(`burst${i}`, 'burst-password-1')), answered: -1 });
    }
    // Each writer sets message 0, 1, 2, … one after the other, all eight at once, until the process is gone.
    let killed = false;
    const burst = writers.map(async (writer) => {
      for (let n = 0; !killed; n += 1) {
        const answer = await send(first.port, { method: 'POST', path: '/api/v1/users.setStatus', headers: { ...writer.headers, ...json }, body: JSON.stringify({ status: 'online', message: `m${n}` }) }).catch(() => undefined);
        if (answer === undefined) return;
        expect(answer.status).toBe(200);
        writer.answered = n;
      }
    });
    // In the middle of it: once every writer has had a few answers.
    await waitFor(async () => (writers.every((writer) => writer.answered >= 20) ? true : undefined), { everyMs: 5 });
    first.process.kill('SIGKILL');
    killed = true;
    expect(await first.exited).toBeNull();
    await Promise.all(burst);

    const second = await start();
    await healthy(second);
    for (const writer of writers) {
      const status = await send(second.port, { path: `/api/v1/users.getStatus?userId=${writer.userId}`, headers: admin.headers });
      expect(status.status).toBe(200);
      // The answered write, or one asked for after it whose answer the kill cut off: never an earlier one.
      const kept = Number(/^m(\d+)$/.exec(status.json<{ message: string }>().message)?.[1]);
      expect(kept).toBeGreaterThanOrEqual(writer.answered);
      expect(kept).toBeLessThanOrEqual(writer.answered + 1);
    }
  }, 90_000);

  it('refuses a second process on the same DATA_DIR, naming the file, while the first goes on serving', async () => {
    const first = await start();
    await healthy(first);
    const second = await start();
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(`presence service failed to start: ${dataFileIn(dataDir)} is in use by another process`);
    expect((await send(first.port, { path: '/readyz' })).status).toBe(200);
  }, 60_000);

  it.each([
    ['a file that is not a database', writeTextFile, 'is not a database of this service'],
    ['a damaged data file', writeDamagedDataFile, 'is damaged'],
  ])('stops start-up with exit code 1 on %s, naming the file', async (_what, write, problem) => {
    await write(dataDir);
    const service = await start();
    expect(await service.exited).toBe(1);
    expect(service.output()).toContain(`presence service failed to start: ${dataFileIn(dataDir)} ${problem}`);
  }, 60_000);
});
