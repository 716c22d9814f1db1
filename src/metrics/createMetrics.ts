import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Where the present-user gauge reads its value when /metrics is scraped. */
export type PresentUsersSource = () => number | Promise<number>;

/**
 * Every metric the service exposes, in its own registry: each app gets its own, so tests can build many apps in
 * one process. The handles are what the rest of the code calls; names follow Prometheus conventions.
 */
export interface Metrics {
  readonly registry: Registry;
  /**
   * Every request by route template, method and status (499: closed by its client before any answer), however it
   * ended; its `_count` is the request count.
   */
  readonly requestDuration: Histogram<'route' | 'method' | 'status'>;
  readonly storeCallDuration: Histogram<'method'>;
  readonly storeCallErrors: Counter<'method'>;
  /** Logins refused for bad credentials. */
  readonly loginFailures: Counter;
  /** Lines of refused requests (4xx, and 503s shedding load) left out of the log under a flood (see observeRequests). */
  readonly requestLogLinesDropped: Counter;
  /**
   * Requests answered 503 to shed load (the password checks' queue was full), as a 429 would be: counted apart so
   * that the 5xx alert, which is about the service failing, can leave them out.
   */
  readonly requestsShed: Counter;
  /** Requests Node's HTTP parser refused before any route saw them (malformed: 400; headers too large: 431), by status. */
  readonly clientErrors: Counter<'status'>;
  /** Requests refused by a rate limit, by the limit that refused them (`ip` or `username`). */
  readonly rateLimited: Counter<'limit'>;
  /** Presence changes clients can see, as recorded for deltas. */
  readonly changesRecorded: Counter;
  /** Presences that ended because their time ran out. */
  readonly expiries: Counter;
  /** Live presence streams currently open. */
  readonly openStreams: Gauge;
  /** From a change's stamp to its event being written to the streams that watch it. */
  readonly streamDelivery: Histogram;
  /** The streams' coalescing window now (0 at rest). */
  readonly streamWindow: Gauge;
  /** Stream events waiting for the next round of deliveries. */
  readonly streamBacklog: Gauge;
  readPresentUsersFrom(source: PresentUsersSource): void;
}

export interface MetricsOptions {
  /** Node's process metrics (CPU, memory, event loop lag, GC): for the server, not for the many apps of a test run. */
  processMetrics?: boolean;
  /** Milliseconds since some fixed moment, for how old the walking metrics' values are (tests move it). */
  now?: () => number;
}

/**
 * Node's process metrics that walk every handle, resource or open descriptor of the process each time they are read:
 * with 10 000 connections open a scrape took 19 ms with the event loop stopped (38 ms at 18 000), and under 1 ms
 * without these five. A scrape reads them again only once their values are WALKED_MAX_AGE_MS old (as the present
 * users' count), so scraping every second does not walk every socket each time.
 */
const WALKING_METRICS = ['nodejs_active_handles', 'nodejs_active_handles_total', 'nodejs_active_resources', 'nodejs_active_resources_total', 'process_open_fds'];
export const WALKED_MAX_AGE_MS = 10_000;

/**
 * Makes `name`'s collect (prom-client calls it on every scrape; a scrape in between answers the gauge's last values)
 * run only once its last run is `maxAgeMs` old; one that failed is not tried again before then either.
 */
function collectAtMostEvery(registry: Registry, name: string, maxAgeMs: number, now: () => number): void {
  // prom-client keeps a metric's `collect` as its own property, but its types do not declare it.
  const metric = registry.getSingleMetric(name) as { collect?: (this: unknown) => unknown } | undefined;
  const collect = metric?.collect;
  if (metric === undefined || collect === undefined) return;
  let collectedAt = Number.NEGATIVE_INFINITY;
  metric.collect = function collectIfOld(this: unknown) {
    const at = now();
    if (at - collectedAt < maxAgeMs) return undefined;
    collectedAt = at;
    return collect.call(this);
  };
}

/** Request latencies: a poll answers in about a millisecond, a login's bcrypt takes a hundred. */
const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Stream deliveries: a few milliseconds at rest, up to the widest coalescing window (and past it) under load. */
const DELIVERY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const STORE_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5];

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  if (options.processMetrics === true) {
    collectDefaultMetrics({ register: registry });
    const now = options.now ?? (() => performance.now());
    for (const name of WALKING_METRICS) collectAtMostEvery(registry, name, WALKED_MAX_AGE_MS, now);
  }
  let presentUsers: PresentUsersSource | undefined;
  // Read when scraped rather than kept up to date on every change; the source decides how fresh (createApp: the
  // present list taken last, at most 10 s old).
  new Gauge({
    name: 'presence_present_users',
    help: 'Users whose presence is not offline',
    registers,
    async collect() {
      if (presentUsers !== undefined) this.set(await presentUsers());
    },
  });
  return {
    registry,
    requestDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by route template, method and status',
      labelNames: ['route', 'method', 'status'],
      buckets: REQUEST_BUCKETS,
      registers,
    }),
    storeCallDuration: new Histogram({
      name: 'presence_store_call_duration_seconds',
      help: 'Time a store call took, by store method',
      labelNames: ['method'],
      buckets: STORE_BUCKETS,
      registers,
    }),
    storeCallErrors: new Counter({ name: 'presence_store_call_errors_total', help: 'Store calls that failed, by store method', labelNames: ['method'], registers }),
    requestLogLinesDropped: new Counter({
      name: 'presence_request_log_lines_dropped_total',
      help: 'Log lines of refused requests (4xx, and 503s shedding load) left out under a flood, past the lines written per second',
      registers,
    }),
    clientErrors: new Counter({
      name: 'presence_client_errors_total',
      help: "Requests Node's HTTP parser refused before any route saw them, by the status answered",
      labelNames: ['status'],
      registers,
    }),
    requestsShed: new Counter({
      name: 'presence_requests_shed_total',
      help: 'Requests answered 503 to shed load (too many password checks waiting), not for a failure',
      registers,
    }),
    loginFailures: new Counter({ name: 'presence_login_failures_total', help: 'Logins refused for bad credentials', registers }),
    rateLimited: new Counter({ name: 'presence_rate_limited_requests_total', help: 'Requests refused by a rate limit, by limit', labelNames: ['limit'], registers }),
    changesRecorded: new Counter({ name: 'presence_changes_recorded_total', help: 'Visible presence changes recorded for deltas', registers }),
    expiries: new Counter({ name: 'presence_expiries_total', help: 'Presences that ended because their time ran out', registers }),
    openStreams: new Gauge({ name: 'presence_open_streams', help: 'Live presence streams currently open', registers }),
    streamDelivery: new Histogram({
      name: 'presence_stream_delivery_seconds',
      help: 'From a presence change being recorded (its change stamp) to its event being written to the streams',
      buckets: DELIVERY_BUCKETS,
      registers,
    }),
    streamWindow: new Gauge({ name: 'presence_stream_coalesce_window_seconds', help: 'How long stream deliveries wait to coalesce now (0 at rest)', registers }),
    streamBacklog: new Gauge({ name: 'presence_stream_backlog_events', help: 'Stream events waiting to be written: for the next round of deliveries, or for a client that is behind to read', registers }),
    readPresentUsersFrom(source: PresentUsersSource): void {
      presentUsers = source;
    },
  };
}
