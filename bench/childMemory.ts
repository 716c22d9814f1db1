/** What a measured child process (the service, the fan-out floor) reports about itself when the bench asks. */
import { readFileSync } from 'node:fs';
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { toParent, type MarkReport, type MemoryReport, type ParentMessage } from './protocol';

/** Linux's clock ticks a second in /proc's CPU times (USER_HZ, 100 on every architecture Node runs on). */
const TICKS_PER_SECOND = 100;

/**
 * The CPU time of this process's main thread, user and system (µs), from /proc (Linux); null elsewhere. The rest
 * of process.cpuUsage() is the other threads': V8's collector and compiler helpers, libuv's pool.
 */
function mainThreadCpuMicros(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // After the command name (which may hold spaces): utime and stime, proc(5)'s fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** Resolves on the event loop's next turn (after the I/O and immediates queued now). */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

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
  const countMajor = (entries: readonly PerformanceEntry[]): void => {
    for (const entry of entries) {
      const { kind, flags } = (entry as unknown as { detail: { kind: number; flags: number } }).detail;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR && (flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) === 0) majorGcs += 1;
    }
  };
  const gcObserver = new PerformanceObserver((list) => countMajor(list.getEntries()));
  gcObserver.observe({ entryTypes: ['gc'] });
  setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 200).unref();
  const answerMemory = (): void => {
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
  };
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'memory') {
      // A collection's entry is queued a turn of the event loop after it ends: those of collections already made
      // are let in first, so that each is counted in the window it happened in.
      void nextTurn()
        .then(nextTurn)
        .then(() => {
          countMajor(gcObserver.takeRecords());
          answerMemory();
        });
    } else if (message.type === 'mark') {
      const mark: MarkReport = { type: 'mark', atUs: Number(process.hrtime.bigint() / 1000n) };
      toParent(mark);
    } else if (message.type === 'stop') {
      onStop();
    }
  });
}
