/**
 * Scenario `loginFlood` (issue 23): whether a flood of failed logins at the limits' edge holds up presence polls.
 * The real service (dist/src/server.js, the embedded store, TRUST_PROXY=true, its default login limit), over
 * 127.0.0.1: pollers ask `GET /api/v1/users.presence` one request after another, first alone (quiet), then while
 * flooders send wrong passwords, each from an address of its own in X-Forwarded-For used exactly
 * LOGIN_RATE_LIMIT times, each for a made-up name of its own, so no limit ever refuses one and every one costs a
 * bcrypt check. Target: the flood's poll p99 at most twice the quiet p99.
 *
 * Settings: BENCH_SECONDS (each phase), BENCH_FLOOD_POLLERS=4, BENCH_FLOOD_CONCURRENCY=10.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { intEnv, settings } from './settings';
import { logIn, startServer } from './timeToTruth';

const ADMIN_PASS = 'bench-flood-admin-password';
/** loadConfig's default LOGIN_RATE_LIMIT: every address is used this many times, the most that are all answered. */
const LOGIN_RATE_LIMIT = 10;
const POLLERS = intEnv('BENCH_FLOOD_POLLERS', 4);
const CONCURRENCY = intEnv('BENCH_FLOOD_CONCURRENCY', 10);
/** Present users in the polled list besides the admin, made through users.create. */
const USERS = 20;

export interface PollPhase {
  samplesMs: number[];
  seconds: number;
}

export interface LoginFloodRun {
  quiet: PollPhase;
  flood: PollPhase;
  /** Answers to the flood's logins, by status. */
  loginStatuses: Record<string, number>;
  loginsPerSecond: number;
  addresses: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function stats(phase: PollPhase): { p50: number; p99: number; max: number; perSecond: number } {
  const sorted = [...phase.samplesMs].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? Number.NaN, perSecond: phase.samplesMs.length / phase.seconds };
}

/** POLLERS loops of polls, one request after another each, until `stop` says so; every answer must be a 200. */
async function poll(port: number, headers: Record<string, string>, stop: () => boolean): Promise<PollPhase> {
  const samplesMs: number[] = [];
  const started = performance.now();
  await Promise.all(Array.from({ length: POLLERS }, async () => {
    while (!stop()) {
      const sent = performance.now();
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/users.presence`, { headers });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`users.presence answered ${res.status}`);
      samplesMs.push(performance.now() - sent);
    }
  }));
  return { samplesMs, seconds: (performance.now() - started) / 1000 };
}

/** 10.a.b.c, one address per LOGIN_RATE_LIMIT attempts: every attempt under the limit. */
function addressOf(attempt: number): string {
  const n = Math.floor(attempt / LOGIN_RATE_LIMIT) + 1;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

export async function runLoginFlood(log: (line: string) => void): Promise<LoginFloodRun> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'presence-flood-'));
  const server = await startServer({ DATA_DIR: dataDir, ADMIN_PASS, TRUST_PROXY: 'true' });
  try {
    const admin = await logIn(server.port, 'admin', ADMIN_PASS);
    const json = { ...admin, 'Content-Type': 'application/json' };
    for (let i = 0; i < USERS; i += 1) {
      const created = await fetch(`http://127.0.0.1:${server.port}/api/v1/users.create`, { method: 'POST', headers: json, body: JSON.stringify({ username: `flood${i}`, name: `Flood ${i}`, password: 'flood-password-1' }) });
      if (created.status !== 200) throw new Error(`users.create answered ${created.status}`);
      const login = await logIn(server.port, `flood${i}`, 'flood-password-1');
      await fetch(`http://127.0.0.1:${server.port}/api/v1/users.setStatus`, { method: 'POST', headers: { ...login, 'Content-Type': 'application/json' }, body: JSON.stringify({ status: 'online' }) });
    }
    // Warm-up, not counted.
    const warmUntil = performance.now() + 1000;
    await poll(server.port, admin, () => performance.now() > warmUntil);

    const quietUntil = performance.now() + settings.seconds * 1000;
    const quiet = await poll(server.port, admin, () => performance.now() > quietUntil);
    log(`    quiet: ${describe(quiet)}`);

    let flooding = true;
    let attempts = 0;
    const loginStatuses: Record<string, number> = {};
    const floodStarted = performance.now();
    const flooders = Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (flooding) {
        const attempt = attempts;
        attempts += 1;
        const res = await fetch(`http://127.0.0.1:${server.port}/api/v1/login`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': addressOf(attempt) },
          body: JSON.stringify({ user: `nobody${attempt}`, password: 'wrong password' }),
        });
        await res.arrayBuffer();
        loginStatuses[res.status] = (loginStatuses[res.status] ?? 0) + 1;
      }
    }));
    // The flood first reaches its pace, then the polls are measured under it.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const floodUntil = performance.now() + settings.seconds * 1000;
    const flood = await poll(server.port, admin, () => performance.now() > floodUntil);
    flooding = false;
    await flooders;
    const loginsPerSecond = attempts / ((performance.now() - floodStarted) / 1000);
    log(`    flood: ${describe(flood)}; ${loginsPerSecond.toFixed(1)} logins/s from ${Math.ceil(attempts / LOGIN_RATE_LIMIT)} addresses, ${JSON.stringify(loginStatuses)}`);
    return { quiet, flood, loginStatuses, loginsPerSecond, addresses: Math.ceil(attempts / LOGIN_RATE_LIMIT) };
  } finally {
    server.process.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function describe(phase: PollPhase): string {
  const { p50, p99, max, perSecond } = stats(phase);
  return `p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${max.toFixed(0)} ms, ${perSecond.toFixed(0)} polls/s`;
}

export function loginFloodPasses(run: LoginFloodRun): boolean {
  return stats(run.flood).p99 <= 2 * stats(run.quiet).p99;
}

/** The scenario's section of docs/benchmarks.md. */
export function loginFloodReport(run: LoginFloodRun): string {
  const quiet = stats(run.quiet);
  const flood = stats(run.flood);
  const row = (name: string, s: ReturnType<typeof stats>) => `| ${name} | ${s.p50.toFixed(1)} | ${s.p99.toFixed(1)} | ${s.max.toFixed(0)} | ${s.perSecond.toFixed(0)} |`;
  return [
    '## Failed-login flood beside polls (scenario `loginFlood`)',
    '',
    `${POLLERS} pollers of \`users.presence\` (one request after another each), quiet for ${settings.seconds} s, then for ${settings.seconds} s under ${CONCURRENCY} concurrent wrong-password logins, each address (X-Forwarded-For, TRUST_PROXY=true) used ${LOGIN_RATE_LIMIT} times: ${run.loginsPerSecond.toFixed(1)} logins/s from ${run.addresses} addresses, answered ${Object.entries(run.loginStatuses).map(([status, count]) => `${count} × ${status}`).join(', ')}.`,
    '',
    '| polls | p50 ms | p99 ms | max ms | polls/s |',
    '| --- | --- | --- | --- | --- |',
    row('quiet', quiet),
    row('under the flood', flood),
    '',
    `Flood p99 / quiet p99: ${(flood.p99 / quiet.p99).toFixed(2)} (target ≤ 2): ${loginFloodPasses(run) ? 'met' : '**missed**'}.`,
    '',
  ].join('\n');
}
