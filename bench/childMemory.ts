/** What a measured child process (the service, the fan-out floor) reports about itself when the bench asks. */
import { readFileSync } from 'node:fs';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { toParent, type MarkReport, type MemoryReport, type ParentMessage } from './protocol';

/** Linux's clock ticks a second in /proc's CPU times (USER_HZ, 100 on every architecture Node runs on). */
const TICKS_PER_SECOND = 100;

/**
 * The CPU time of this process's main thread, user and system (µs), from /proc (Linux); null elsewhere. The rest
 * of process.cpuUsage() is the other threads': V8's garbage-collection helpers and libuv's pool.
 */
function mainThreadCpuMicros(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // The fields after the command name (which may hold spaces), from the state on: utime and stime are 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** A full garbage collection, when the child runs with --expose-gc (the bench starts it so): garbage is not memory in use. */
export function fullGc(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) gc();
}

/**
 * Samples the RSS every 200 ms for its peak, and answers the bench's `memory` and `mark` messages; `onStop` runs
 * on `stop` (a clean exit, so that --cpu-prof writes its profile).
 */
export function answerMeasurements(onStop: () => void): void {
  let peakRss = process.memoryUsage.rss();
  // Major collections V8 chose to make (not the bench's forced ones): each marks the whole heap, mostly on helper threads.
  let majorGcs = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const { kind, flags } = (entry as unknown as { detail: { kind: number; flags: number } }).detail;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR && (flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) === 0) majorGcs += 1;
    }
  }).observe({ entryTypes: ['gc'] });
  setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 200).unref();
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'memory') {
      const now = process.memoryUsage();
      const cpu = process.cpuUsage();
      const mainThread = mainThreadCpuMicros();
      fullGc();
      const afterGc = process.memoryUsage();
      const cpuAfterGc = process.cpuUsage();
      const mainThreadAfterGc = mainThreadCpuMicros();
      const report: MemoryReport = {
        type: 'memory',
        rss: now.rss,
        peakRss: Math.max(peakRss, now.rss),
        heapUsed: now.heapUsed,
        heapTotal: now.heapTotal,
        external: now.external,
        heapUsedAfterGc: afterGc.heapUsed,
        rssAfterGc: afterGc.rss,
        cpuMicros: cpu.user + cpu.system,
        cpuMicrosAfterGc: cpuAfterGc.user + cpuAfterGc.system,
        mainThreadCpuMicros: mainThread,
        mainThreadCpuMicrosAfterGc: mainThreadAfterGc,
        majorGcs,
      };
      toParent(report);
    } else if (message.type === 'mark') {
      const mark: MarkReport = { type: 'mark', atUs: Number(process.hrtime.bigint() / 1000n) };
      toParent(mark);
    } else if (message.type === 'stop') {
      onStop();
    }
  });
}
