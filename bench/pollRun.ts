/** One poll scenario, end to end: a fresh service, the probe, the baselines, the interleaved rounds, a profile. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Child } from './children';
import { aggregate, drive, type Aggregate, type Load, type RunStats, type TargetName } from './loadDriver';
import type { Scenario } from './pollScenarios';
import { probe } from './probe';
import { formatSummary, summariseProfile, type ProfileSummary } from './profileSummary';
import type { MarkReport, MemoryReport, ServiceReady } from './protocol';
import { profileFileOf, startBaseline, startService } from './services';
import { settings } from './settings';

const MB = 1024 * 1024;

export interface ScenarioResult {
  scenario: Scenario;
  note: string;
  bodyBytes: number;
  headerBytes: number;
  seeded: ServiceReady;
  memory: MemoryReport;
  runs: RunStats[];
  service: Aggregate;
  express: Aggregate;
  nodeHttp: Aggregate;
  profile?: ProfileSummary;
}

export function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

export async function runScenario(scenario: Scenario): Promise<ScenarioResult> {
  log(`\n[${scenario.name}] ${scenario.title}: seeding ${scenario.users.toLocaleString('en')} users…`);
  const service = await startService(scenario, false);
  const stoppers: Child[] = [service.child];
  try {
    const { ready } = service;
    log(`    seeded in ${(ready.seedMs / 1000).toFixed(1)} s, RSS ${(ready.rssAfterSeed / MB).toFixed(0)} MB, ${ready.onlineUsers} online`);
    const answer = await probe(scenario, ready.port, ready.users[0], ready.ids);
    log(`    answer: ${answer.bodyBytes} bytes, ${answer.note}`);
    const express = await startBaseline('express', answer.serve);
    stoppers.push(express.child);
    const nodeHttp = await startBaseline('http', answer.serve);
    stoppers.push(nodeHttp.child);
    const ports: Record<TargetName, number> = { service: ready.port, express: express.port, 'node:http': nodeHttp.port };
    const load: Load = { scenario, users: ready.users, ids: ready.ids, etag: answer.etag };

    if (settings.warmupSeconds > 0) {
      for (const target of ['service', 'express', 'node:http'] as const) await drive(ports[target], load, settings.warmupSeconds, target, 0);
    }
    const runs: RunStats[] = [];
    for (let round = 1; round <= settings.rounds; round += 1) {
      // A B C, then C B A: a machine getting steadily faster or slower weighs on every target alike.
      const order: TargetName[] = round % 2 === 1 ? ['service', 'express', 'node:http'] : ['node:http', 'express', 'service'];
      for (const target of order) {
        const run = await drive(ports[target], load, settings.seconds, target, round);
        runs.push(run);
        log(`    round ${round} ${target.padEnd(9)} ${run.rps.toFixed(0).padStart(7)} req/s  p50 ${run.p50.toFixed(2)} ms  p99 ${run.p99.toFixed(2)} ms  ${run.bytesPerResponse.toFixed(0)} B/resp  ${JSON.stringify(run.statusCodes)}`);
      }
    }
    service.child.send({ type: 'memory' });
    const memory = await service.child.next<MemoryReport>('memory', 10_000);
    const of = (target: TargetName) => aggregate(runs.filter((run) => run.target === target), scenario.expectStatus);
    return {
      scenario,
      note: answer.note,
      bodyBytes: answer.bodyBytes,
      headerBytes: answer.headerBytes,
      seeded: ready,
      memory,
      runs,
      service: of('service'),
      express: of('express'),
      nodeHttp: of('node:http'),
    };
  } finally {
    await Promise.all(stoppers.map((child) => child.stop(5_000)));
  }
}

/**
 * The hot path of a scenario: a fresh service under --cpu-prof, the same load for one warm-up and one run (not
 * counted in the table, so the profiler's cost does not weigh on the ratios), then its self time by function,
 * from the start of that run on.
 */
export async function profileScenario(scenario: Scenario): Promise<ProfileSummary | undefined> {
  log(`    profiling: a fresh service under --cpu-prof, ${settings.warmupSeconds} s warm-up + ${settings.seconds} s`);
  const service = await startService(scenario, true);
  let fromUs: number;
  try {
    const { ready } = service;
    const answer = await probe(scenario, ready.port, ready.users[0], ready.ids);
    const load: Load = { scenario, users: ready.users, ids: ready.ids, etag: answer.etag };
    if (settings.warmupSeconds > 0) await drive(ready.port, load, settings.warmupSeconds, 'service', 0);
    service.child.send({ type: 'mark' });
    fromUs = (await service.child.next<MarkReport>('mark', 10_000)).atUs;
    const run = await drive(ready.port, load, settings.seconds, 'service', 0);
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
