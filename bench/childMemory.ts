/** What a measured child process (the service, the fan-out floor) reports about itself when the bench asks. */
import { toParent, type MarkReport, type MemoryReport, type ParentMessage } from './protocol';

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
  setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 200).unref();
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'memory') {
      const now = process.memoryUsage();
      const cpu = process.cpuUsage();
      fullGc();
      const afterGc = process.memoryUsage();
      const cpuAfterGc = process.cpuUsage();
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
