/** Reads the service's /metrics while a stream scenario runs: how wide the coalescing window got, and the backlog. */
import { fetchOnce } from './probe';

export interface MetricPeaks {
  /** The widest window seen (seconds), the largest backlog (events), and both at the end, once the changes stopped. */
  maxWindowSeconds: number;
  maxBacklog: number;
  finalWindowSeconds: number;
  finalBacklog: number;
  samples: number;
  /** The delivery histogram at the end: how many deliveries took at most 1 s of all of them. */
  deliveredWithin1s: number;
  delivered: number;
}

/** As often as a busy Prometheus would scrape, at most (the metrics that walk every socket are read at most every 10 s, src/metrics/createMetrics.ts). */
const EVERY_MS = 1000;

function sample(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
}

export function metricSampler(port: number): { stop(): Promise<MetricPeaks> } {
  const peaks: MetricPeaks = { maxWindowSeconds: 0, maxBacklog: 0, finalWindowSeconds: Number.NaN, finalBacklog: Number.NaN, samples: 0, deliveredWithin1s: 0, delivered: 0 };
  const read = async () => {
    const text = (await fetchOnce(port, { method: 'GET', path: '/metrics', headers: {} })).body;
    const window = sample(text, 'presence_stream_coalesce_window_seconds');
    const backlog = sample(text, 'presence_stream_backlog_events');
    peaks.maxWindowSeconds = Math.max(peaks.maxWindowSeconds, window);
    peaks.maxBacklog = Math.max(peaks.maxBacklog, backlog);
    peaks.finalWindowSeconds = window;
    peaks.finalBacklog = backlog;
    peaks.samples += 1;
    peaks.deliveredWithin1s = sample(text, 'presence_stream_delivery_seconds_bucket{le="1"}');
    peaks.delivered = sample(text, 'presence_stream_delivery_seconds_count');
  };
  let reading = Promise.resolve();
  const timer = setInterval(() => {
    reading = reading.then(read).catch(() => undefined);
  }, EVERY_MS);
  return {
    async stop() {
      clearInterval(timer);
      await reading.catch(() => undefined);
      await read();
      return peaks;
    },
  };
}
