/**
 * Scenario `truth` (issue 20): how long after a device goes away every watcher sees its user offline, on the real
 * service (dist/src/server.js) in child processes, on the system clock, over 127.0.0.1 only:
 * - clean close: a device's stream closed by its client (same instance; and, over the MongoDB emulator, seen from
 *   the other instance);
 * - killed client: the process holding a stream killed with SIGKILL (its socket closes);
 * - frozen client: the process holding a stream and heartbeating stopped with SIGSTOP (its socket stays open);
 * - killed instance: the instance holding the streams killed with SIGKILL, seen from the other instance (emulator).
 * Each is timed from the moment the device went away to the moment a watcher's stream carried the user offline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { childEnv, ROOT } from './services';

export interface TruthCase {
  name: string;
  targetMs: number;
  samplesMs: number[];
  /** Devices that never read offline within the wait. */
  missing: number;
}

const ADMIN_PASS = 'bench-truth-admin-password';
const DEVICES = 10;
/** Longer than any target: a device not offline by then counts as missing. */
const WAIT_MS = 90_000;
const LISTENING = 'presence service listening';

type Headers = Record<string, string>;

interface Server {
  process: ChildProcess;
  port: number;
}

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The service as `npm start` runs it, with `env` (an embedded store in a fresh DATA_DIR unless MONGODB_URI is given). */
export async function startServer(env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/src/server.js')], {
    env: childEnv({ PORT: String(port), ADMIN_PASS, ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const take = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(LISTENING)) resolve();
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    child.once('exit', (code) => reject(new Error(`the service exited (${code}) before it listened:\n${output}`)));
  });
  child.stdout?.resume();
  child.stderr?.resume();
  return { process: child, port };
}

/** The MongoDB emulator CI has (tests/support/mongoEmulator), for two instances over one database. */
async function startEmulator(): Promise<{ uri: string; stop(): void }> {
  const child = spawn('/usr/bin/python3', ['-B', path.join(ROOT, 'tests/support/mongoEmulator/server.py')], { stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  const address = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /^listening on (\S+):(\d+)$/m.exec(output);
      if (ready !== null) resolve(`${ready[1]}:${ready[2]}`);
    });
    child.once('exit', (code) => reject(new Error(`the MongoDB emulator exited (${code})`)));
  });
  return { uri: `mongodb://${address}/presence_truth`, stop: () => child.stdin.end() };
}

export async function call(port: number, method: string, route: string, headers: Headers, body?: object): Promise<Record<string, unknown>> {
  const res = await fetch(`http://127.0.0.1:${port}${route}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${JSON.stringify(answer)}`);
  return answer;
}

export async function logIn(port: number, user: string, password: string): Promise<Headers> {
  const { data } = (await call(port, 'POST', '/api/v1/login', {}, { user, password })) as { data: { userId: string; authToken: string } };
  return { 'X-User-Id': data.userId, 'X-Auth-Token': data.authToken };
}

/** `count` users, created by the admin, each logged in once: a device each. */
async function devices(port: number, prefix: string, count: number): Promise<Headers[]> {
  const admin = await logIn(port, 'admin', ADMIN_PASS);
  const logins: Headers[] = [];
  for (let i = 0; i < count; i += 1) {
    const username = `${prefix}${i}`;
    await call(port, 'POST', '/api/v1/users.create', admin, { username, name: username, password: 'truth-password-1' });
    logins.push(await logIn(port, username, 'truth-password-1'));
  }
  return logins;
}

/** A watcher's stream: when each user was last seen online and when offline, by the watcher's clock. */
class Watcher {
  readonly offlineAt = new Map<string, number>();
  readonly online = new Set<string>();
  private readonly request: http.ClientRequest;

  constructor(port: number, headers: Headers) {
    this.request = http.get({ host: '127.0.0.1', port, path: '/api/v1/users.presence.stream', headers }, (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').find((line) => line.startsWith('data: '));
          if (data === undefined) continue;
          const now = performance.now();
          for (const user of (JSON.parse(data.slice(6)) as { users: { _id: string; status: string }[] }).users) {
            if (user.status === 'offline') this.offlineAt.set(user._id, now);
            else {
              this.online.add(user._id);
              this.offlineAt.delete(user._id);
            }
          }
        }
      });
    });
    this.request.on('error', () => undefined);
  }

  async until(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (!predicate()) {
      if (performance.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return true;
  }

  close(): void {
    this.request.destroy();
  }
}

/** A stream held in this process: closing it is a clean close. */
function streamHere(port: number, headers: Headers): { close(): void } {
  const request = http.get({ host: '127.0.0.1', port, path: '/api/v1/users.presence.stream', headers }, (res) => res.resume());
  request.on('error', () => undefined);
  return { close: () => request.destroy() };
}

/** A stream held by a process of its own, heartbeating (as the page does) when asked: to be killed or frozen. */
function streamInChild(port: number, headers: Headers, heartbeat: boolean): ChildProcess {
  const script = `
    const http = require('node:http');
    const headers = ${JSON.stringify(headers)};
    // The first heartbeat once the stream is open (its connection recorded), as the page does: it renews that one.
    http.get({ host: '127.0.0.1', port: ${port}, path: '/api/v1/users.presence.stream', headers }, (res) => {
      res.resume();
      if (${heartbeat}) beat();
    });
    const beat = () => fetch('http://127.0.0.1:${port}/api/v1/users.presence.heartbeat', { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: '{}' })
      .then((res) => res.json()).then((answer) => setTimeout(beat, (answer.heartbeatSeconds || 12) * 1000), () => setTimeout(beat, 1000));
    setInterval(() => undefined, 1 << 30);
  `;
  return spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
}

function userIdOf(headers: Headers): string {
  return headers['X-User-Id'];
}

/** Waits until the watcher sees every device online, then makes them go away and times each until it reads offline. */
async function timeToOffline(name: string, targetMs: number, watcher: Watcher, logins: Headers[], goAway: () => void): Promise<TruthCase> {
  const ids = logins.map(userIdOf);
  if (!(await watcher.until(() => ids.every((id) => watcher.online.has(id)), 30_000))) throw new Error(`${name}: the devices never read online`);
  const goneAt = performance.now();
  goAway();
  await watcher.until(() => ids.every((id) => watcher.offlineAt.has(id)), WAIT_MS);
  const samplesMs = ids.filter((id) => watcher.offlineAt.has(id)).map((id) => (watcher.offlineAt.get(id) as number) - goneAt);
  return { name, targetMs, samplesMs, missing: ids.length - samplesMs.length };
}

export async function runTimeToTruth(log: (line: string) => void): Promise<TruthCase[]> {
  const cases: TruthCase[] = [];
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'presence-truth-'));
  const embedded = await startServer({ DATA_DIR: dataDir });
  const children: ChildProcess[] = [];
  try {
    const watcherLogin = await logIn(embedded.port, 'admin', ADMIN_PASS);
    const watcher = new Watcher(embedded.port, watcherLogin);

    // Clean close, one device at a time.
    const closing = await devices(embedded.port, 'close', DEVICES);
    const samples: number[] = [];
    let missing = 0;
    for (const login of closing) {
      const stream = streamHere(embedded.port, login);
      const one = await timeToOffline('clean close', 2000, watcher, [login], () => stream.close());
      samples.push(...one.samplesMs);
      missing += one.missing;
    }
    cases.push({ name: 'clean close (same instance)', targetMs: 2000, samplesMs: samples, missing });
    log(`    clean close: ${summary(cases[cases.length - 1])}`);

    const killed = await devices(embedded.port, 'killed', DEVICES);
    const killedChildren = killed.map((login) => streamInChild(embedded.port, login, false));
    children.push(...killedChildren);
    cases.push(await timeToOffline('killed client process (SIGKILL)', 2000, watcher, killed, () => killedChildren.forEach((child) => child.kill('SIGKILL'))));
    log(`    killed client: ${summary(cases[cases.length - 1])}`);

    const frozen = await devices(embedded.port, 'frozen', DEVICES);
    const frozenChildren = frozen.map((login) => streamInChild(embedded.port, login, true));
    children.push(...frozenChildren);
    // Heartbeating before they freeze: their streams' connections follow their heartbeats from then on.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    cases.push(await timeToOffline('frozen client (SIGSTOP, socket open)', 60_000, watcher, frozen, () => frozenChildren.forEach((child) => child.kill('SIGSTOP'))));
    log(`    frozen client: ${summary(cases[cases.length - 1])}`);
    watcher.close();
  } finally {
    for (const child of children) child.kill('SIGKILL');
    embedded.process.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }

  const emulator = await startEmulator();
  const servers: Server[] = [];
  try {
    const a = await startServer({ MONGODB_URI: emulator.uri });
    servers.push(a);
    const b = await startServer({ MONGODB_URI: emulator.uri });
    servers.push(b);
    const watcher = new Watcher(a.port, await logIn(a.port, 'admin', ADMIN_PASS));
    const closing = await devices(b.port, 'elsewhere', DEVICES);
    const streams = closing.map((login) => streamHere(b.port, login));
    cases.push(await timeToOffline('clean close, seen from the other instance', 2000, watcher, closing, () => streams.forEach((stream) => stream.close())));
    log(`    clean close, other instance: ${summary(cases[cases.length - 1])}`);

    const held = await devices(b.port, 'held', DEVICES);
    for (const login of held) streamHere(b.port, login);
    cases.push(await timeToOffline('killed instance (SIGKILL), seen from the other', 60_000, watcher, held, () => b.process.kill('SIGKILL')));
    log(`    killed instance: ${summary(cases[cases.length - 1])}`);
    watcher.close();
  } finally {
    for (const server of servers) server.process.kill('SIGKILL');
    emulator.stop();
  }
  return cases;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function truthPasses(truth: TruthCase): boolean {
  const sorted = [...truth.samplesMs].sort((x, y) => x - y);
  return truth.missing === 0 && percentile(sorted, 99) <= truth.targetMs;
}

function summary(truth: TruthCase): string {
  const sorted = [...truth.samplesMs].sort((x, y) => x - y);
  return `p50 ${percentile(sorted, 50).toFixed(0)} ms, p99 ${percentile(sorted, 99).toFixed(0)} ms (target ${truth.targetMs} ms)${truth.missing > 0 ? `, ${truth.missing} never offline` : ''}`;
}

/** The scenario's section of docs/benchmarks.md. */
export function truthReport(cases: readonly TruthCase[]): string {
  const rows = cases.map((truth) => {
    const sorted = [...truth.samplesMs].sort((x, y) => x - y);
    return `| ${truth.name} | ${truth.samplesMs.length + truth.missing} | ${percentile(sorted, 50).toFixed(0)} | ${percentile(sorted, 99).toFixed(0)} | ${(truth.targetMs / 1000).toFixed(0)} s | ${truthPasses(truth) ? 'met' : `**missed**${truth.missing > 0 ? ` (${truth.missing} never offline)` : ''}`} |`;
  });
  return [
    '## Time to truth (scenario `truth`)',
    '',
    `From a device going away to a watcher's stream carrying its user offline, on the real service with its default settings (CONNECTION_LEASE_SECONDS 30, CONNECTION_RENEW_SECONDS 5), ${DEVICES} devices a case. The embedded store for the first three, two instances over the MongoDB emulator for the last two.`,
    '',
    '| case | devices | p50 ms | p99 ms | target | |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
