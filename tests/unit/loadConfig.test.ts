import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig, streamsForOpenFiles } from '../../src/config/loadConfig';
import { openFileLimitOf } from '../../src/config/openFileLimit';

/** As on the machine the issue was measured on: `ulimit -n` is 20 000. */
const TWENTY_THOUSAND_FILES = { openFiles: 20000 };

describe('loadConfig', () => {
  it('checks passwords on one worker per core but one, at least one and at most 4; PASSWORD_WORKERS and PASSWORD_QUEUE_LIMIT are validated', () => {
    expect(loadConfig({}, { openFiles: 20000, cores: 4 }).passwordWorkers).toBe(3);
    expect(loadConfig({}, { openFiles: 20000, cores: 1 }).passwordWorkers).toBe(1);
    // The host's cores, which a container's CPU quota may be far below: the default stops at 4.
    expect(loadConfig({}, { openFiles: 20000, cores: 8 }).passwordWorkers).toBe(4);
    expect(loadConfig({}, { openFiles: 20000, cores: 64 }).passwordWorkers).toBe(4);
    expect(loadConfig({ PASSWORD_WORKERS: '12' }, { openFiles: 20000, cores: 64 }).passwordWorkers).toBe(12);
    expect(loadConfig({ PASSWORD_WORKERS: '3', PASSWORD_QUEUE_LIMIT: '200' }, { openFiles: 20000, cores: 2 })).toMatchObject({ passwordWorkers: 3, passwordQueueLimit: 200 });
    expect(() => loadConfig({ PASSWORD_WORKERS: '0', PASSWORD_QUEUE_LIMIT: 'many' }, TWENTY_THOUSAND_FILES)).toThrow(
      new ConfigError(['PASSWORD_WORKERS must be an integer from 1 to 256, got "0"', 'PASSWORD_QUEUE_LIMIT must be an integer from 1 to 100000, got "many"']),
    );
  });
  it('has a default for everything, so an empty environment starts on the embedded store', () => {
    expect(loadConfig({}, TWENTY_THOUSAND_FILES)).toEqual({
      port: 3000,
      mongodbUri: undefined,
      dataDir: path.resolve('data'),
      adminUsername: 'admin',
      adminPassword: undefined,
      deltaWindowSeconds: 600,
      deltaOverlapSeconds: 2,
      presenceTtlSeconds: 900,
      logLevel: 'info',
      storeTimeoutMs: 2000,
      cacheMaxAgeMs: 2000,
      authCacheMaxEntries: 100000,
      corsOrigins: [],
      loginRateLimit: 10,
      loginRateWindowSeconds: 60,
      trustProxy: false,
      passwordWorkers: 1,
      passwordQueueLimit: 50,
      shutdownTimeoutMs: 10000,
      streamPollMs: 250,
      streamHeartbeatSeconds: 15,
      streamRetryMs: 3000,
      streamMaxPerUser: 10,
      streamMaxPerInstance: 18000,
      streamMaxBufferBytes: 1048576,
      streamTicketSeconds: 30,
      streamRevalidateMs: 4000,
      metricsToken: undefined,
      slowRequestMs: 1000,
      loginExpirationDays: 90,
      rocketChatScanMs: 1000,
      connectionLeaseSeconds: 30,
      connectionRenewSeconds: 5,
      streamConnections: true,
    });
  });

  it('reads the variables', () => {
    const config = loadConfig({
      PORT: '8080',
      MONGODB_URI: 'mongodb://db:27017/presence?replicaSet=rs0',
      ADMIN_USERNAME: 'root',
      ADMIN_PASS: 'pw',
      ADMIN_EMAIL: 'root@rocket.chat-1',
      DELTA_WINDOW_SECONDS: '300',
      PRESENCE_TTL_SECONDS: '60',
      LOG_LEVEL: 'warn',
      CORS_ORIGINS: 'https://a.example, https://b.example',
      TRUST_PROXY: 'true',
      METRICS_TOKEN: 'scrape-0123456789abcdef',
      SLOW_REQUEST_MS: '250',
      LOGIN_EXPIRATION_DAYS: '30',
    });
    expect(config).toMatchObject({
      port: 8080,
      mongodbUri: 'mongodb://db:27017/presence?replicaSet=rs0',
      adminUsername: 'root',
      adminPassword: 'pw',
      adminEmail: 'root@rocket.chat-1',
      deltaWindowSeconds: 300,
      presenceTtlSeconds: 60,
      logLevel: 'warn',
      corsOrigins: ['https://a.example', 'https://b.example'],
      trustProxy: true,
      metricsToken: 'scrape-0123456789abcdef',
      slowRequestMs: 250,
      loginExpirationDays: 30,
    });
  });

  it.each([
    ['METRICS_TOKEN', 'short'],
    ['METRICS_TOKEN', 'has a space in the middle of it'],
    // What an Authorization header cannot carry (comma: the bearer reading stops there), or carries changed.
    ['METRICS_TOKEN', 'scrape-token,0123456789'],
    ['METRICS_TOKEN', ' scrape-token-0123456789'],
    ['METRICS_TOKEN', 'scrape-token-0123456789 '],
    ['METRICS_TOKEN', 'scrape-token\t0123456789'],
    ['METRICS_TOKEN', 'scrape-token\x070123456789'],
    ['METRICS_TOKEN', 'scrape-token\x7f0123456789'],
    ['METRICS_TOKEN', 'scrape-token-caf\u00e9-0123456789'],
    ['METRICS_TOKEN', 'x'.repeat(257)],
    ['SLOW_REQUEST_MS', '0'],
    ['SLOW_REQUEST_MS', '1.5'],
    ['LOGIN_EXPIRATION_DAYS', '0'],
    ['LOGIN_EXPIRATION_DAYS', 'forever'],
    ['STREAM_CONNECTIONS', 'yes'],
    ['CONNECTION_LEASE_SECONDS', '2'],
    ['CONNECTION_RENEW_SECONDS', '0'],
    ['ADMIN_EMAIL', 'admin'],
    ['ADMIN_EMAIL', 'a@b@c'],
  ])('refuses %s=%s', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });

  it('reads the connection settings, and refuses a lease shorter than three rounds', () => {
    expect(loadConfig({ CONNECTION_LEASE_SECONDS: '60', CONNECTION_RENEW_SECONDS: '10', STREAM_CONNECTIONS: 'false' })).toMatchObject({ connectionLeaseSeconds: 60, connectionRenewSeconds: 10, streamConnections: false });
    expect(() => loadConfig({ CONNECTION_LEASE_SECONDS: '20', CONNECTION_RENEW_SECONDS: '10' })).toThrow('CONNECTION_LEASE_SECONDS (20) must be at least 3 × CONNECTION_RENEW_SECONDS (10)');
  });

  it('reads DATA_DIR as a directory, relative to the working directory unless absolute', () => {
    expect(loadConfig({ DATA_DIR: '/var/lib/presence' }).dataDir).toBe('/var/lib/presence');
    expect(loadConfig({ DATA_DIR: 'state/presence' }).dataDir).toBe(path.join(process.cwd(), 'state/presence'));
    expect(loadConfig({ DATA_DIR: '' }).dataDir).toBe(path.join(process.cwd(), 'data'));
    expect(() => loadConfig({ DATA_DIR: 'data\0' })).toThrow(/DATA_DIR must be a directory path/);
  });

  it('treats an empty METRICS_TOKEN as unset', () => {
    expect(loadConfig({ METRICS_TOKEN: '' }).metricsToken).toBeUndefined();
  });

  it('reports every bad value at once, by name', () => {
    try {
      loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', MONGODB_URI: 'postgres://x', DELTA_WINDOW_SECONDS: '-1' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const { problems } = error as ConfigError;
      expect(problems).toHaveLength(4);
      expect(problems.join('\n')).toMatch(/PORT[\s\S]*DELTA_WINDOW_SECONDS|DELTA_WINDOW_SECONDS[\s\S]*PORT/);
      expect(problems.join('\n')).toContain('LOG_LEVEL');
      expect(problems.join('\n')).toContain('MONGODB_URI');
    }
  });

  describe('STREAM_MAX_PER_INSTANCE', () => {
    it('defaults to the streams the process can hold: its open-file limit less a tenth (at least 100) for everything else', () => {
      expect(streamsForOpenFiles(20000)).toBe(18000);
      expect(streamsForOpenFiles(1024)).toBe(921);
      expect(streamsForOpenFiles(150)).toBe(50);
      expect(streamsForOpenFiles(1_048_576)).toBe(943_718);
      expect(loadConfig({}, { openFiles: 1024 }).streamMaxPerInstance).toBe(921);
      expect(loadConfig({}, { openFiles: 10_000_000 }).streamMaxPerInstance).toBe(1_000_000);
    });

    it('is 20 000 where the limit cannot be read', () => {
      expect(loadConfig({}, { openFiles: undefined }).streamMaxPerInstance).toBe(20000);
    });

    it('may be set lower, and is refused above what the open-file limit lets the process hold', () => {
      expect(loadConfig({ STREAM_MAX_PER_INSTANCE: '500' }, TWENTY_THOUSAND_FILES).streamMaxPerInstance).toBe(500);
      expect(() => loadConfig({ STREAM_MAX_PER_INSTANCE: '20000' }, TWENTY_THOUSAND_FILES)).toThrow(
        /STREAM_MAX_PER_INSTANCE \(20000\) is more than this process can hold with its open-file limit of 20000 \(at most 18000\)/,
      );
    });

    it('reads the soft limit from /proc/self/limits', () => {
      const limits = [
        'Limit                     Soft Limit           Hard Limit           Units     ',
        'Max processes             95648                95648                processes ',
        'Max open files            20000                524288               files     ',
        'Max locked memory         8388608              8388608              bytes     ',
      ].join('\n');
      expect(openFileLimitOf(limits)).toBe(20000);
      expect(openFileLimitOf(limits.replace('20000  ', 'unlimited'))).toBeUndefined();
      expect(openFileLimitOf('nothing here')).toBeUndefined();
    });
  });

  it('refuses no overlap with MongoDB, where writes land after their stamp; accepts it on the embedded store', () => {
    expect(() => loadConfig({ MONGODB_URI: 'mongodb://db:27017/presence', DELTA_OVERLAP_SECONDS: '0' })).toThrow(/DELTA_OVERLAP_SECONDS must be at least 1/);
    expect(loadConfig({ DELTA_OVERLAP_SECONDS: '0' }).deltaOverlapSeconds).toBe(0);
  });
});

/** The variables .env.example names, and the values its uncommented lines give. */
function envExample(): { names: Set<string>; values: Record<string, string> } {
  const names = new Set<string>();
  const values: Record<string, string> = {};
  for (const line of fs.readFileSync(path.join(__dirname, '../../.env.example'), 'utf8').split('\n')) {
    const match = /^(#\s*)?([A-Z][A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match === null) continue;
    names.add(match[2]);
    if (match[1] === undefined) values[match[2]] = match[3];
  }
  return { names, values };
}

describe('the configuration as documented', () => {
  it('.env.example names every variable loadConfig reads, and no other', () => {
    const read = new Set<string>();
    loadConfig(new Proxy({}, { get: (_env, name) => { read.add(String(name)); return undefined; } }), TWENTY_THOUSAND_FILES);
    expect([...envExample().names].sort()).toEqual([...read].sort());
  });

  it('.env.example gives the defaults', () => {
    expect(loadConfig(envExample().values, TWENTY_THOUSAND_FILES)).toEqual(loadConfig({}, TWENTY_THOUSAND_FILES));
  });
});
