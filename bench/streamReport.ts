/** The Markdown sections of the stream scenarios. */
import type { StreamResult, StreamSettings } from './streamScenario';

const STREAM_TARGETS = { p99Ms: 250, rssMb: 600 };

export function streamSection(result: StreamResult, settings: StreamSettings): string {
  const ok = (pass: boolean) => (pass ? 'PASS' : 'MISS');
  const held = result.streamsHeld === settings.streams;
  return [
    `### (S) Live presence stream: ${settings.streams.toLocaleString('en')} streams × ${settings.watched} watched users, ${settings.changesPerSecond} changes/s for ${settings.seconds} s`,
    '',
    '| measure | value | target |',
    '| --- | --- | --- |',
    `| streams held to the end | ${result.streamsHeld.toLocaleString('en')} of ${result.streamsOpened.toLocaleString('en')} (opened in ${(result.openMs / 1000).toFixed(1)} s) | all, ${ok(held)} |`,
    `| delivery latency, write sent → event parsed, p50 / p99 / max | ${result.latencyP50Ms.toFixed(1)} / ${result.latencyP99Ms.toFixed(1)} / ${result.latencyMaxMs.toFixed(1)} ms | p99 ≤ ${STREAM_TARGETS.p99Ms} ms, ${ok(result.latencyP99Ms <= STREAM_TARGETS.p99Ms)} |`,
    `| changes sent; deliveries (one user's change at one subscriber) | ${result.changesSent.toLocaleString('en')}; ${result.deliveries.toLocaleString('en')} | |`,
    `| events received | ${result.eventsReceived.toLocaleString('en')} (${Math.round(result.eventsPerSecond).toLocaleString('en')}/s) | |`,
    `| service CPU (of one core) | ${result.serviceCpuPercent.toFixed(0)} % | |`,
    `| service RSS with the streams open, at rest / peak | ${result.rssAtRestMb.toFixed(0)} / ${result.rssPeakMb.toFixed(0)} MB | ≤ ${STREAM_TARGETS.rssMb} MB, ${ok(result.rssPeakMb <= STREAM_TARGETS.rssMb)} |`,
    '',
    'The subscribers and the writer run in the bench\'s own process, on the same two cores as the service: the latency includes their parsing and the scheduling between the processes.',
    '',
  ].join('\n');
}
