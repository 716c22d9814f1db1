import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import mongoose from 'mongoose';
import pino from 'pino';
import request from 'supertest';
import { runAdminCommand, EXIT } from '../../src/admin';
import { createApp } from '../../src/app';
import { createStore } from '../../src/storage/createStore';
import { loadConfig } from '../../src/config/loadConfig';
import type { Store } from '../../src/domain/ports/store';
import { SqliteStore } from '../../src/storage/sqlite/sqliteStore';
import { FakeClock } from '../support/fakeClock';
import { mongoTestUri } from '../support/mongoTestUri';
import { tempDataDir } from '../support/stores';
import { seedInto, TEST_CONFIG, TEST_PASSWORD } from '../support/testApp';

const ROOT = path.join(__dirname, '..', '..');

interface Place {
  name: string;
  /** The service's environment for this store. */
  env: NodeJS.ProcessEnv;
  remove(): Promise<void>;
}

/** The embedded store in a temporary DATA_DIR, and MongoDB (a database of its own) when the run has one. */
function places(): { name: string; make(): Place }[] {
  const embedded = {
    name: 'embedded',
    make(): Place {
      const dir = tempDataDir();
      return { name: 'embedded', env: { DATA_DIR: dir.dir }, remove: async () => dir.remove() };
    },
  };
  const uri = mongoTestUri();
  if (uri === undefined) return [embedded];
  return [embedded, {
    name: 'mongo',
    make(): Place {
      const url = new URL(uri);
      url.pathname = `/presence_admin_${randomBytes(6).toString('hex')}`;
      return {
        name: 'mongo',
        env: { MONGODB_URI: url.toString() },
        remove: async () => {
          const admin = await mongoose.createConnection(url.toString()).asPromise();
          await admin.dropDatabase();
          await admin.close();
        },
      };
    },
  }];
}

/** Runs the command in-process; what it printed to each stream. */
async function run(args: string[], env: NodeJS.ProcessEnv, clock = new FakeClock()): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const status = await runAdminCommand(args, env, { out: (text) => (out += text), err: (text) => (err += text) }, clock);
  return { status, out, err };
}

/** The service over the same data as the command, as it would start afterwards. */
async function serviceOver(env: NodeJS.ProcessEnv, clock: FakeClock): Promise<{ app: ReturnType<typeof createApp>; store: Store; close(): Promise<void> }> {
  const store = await createStore(loadConfig(env));
  const app = createApp({ store, clock, config: TEST_CONFIG, logger: pino({ level: 'silent' }) });
  return { app, store, close: async () => {
    app.closeStreams();
    await store.close();
  } };
}

const login = (app: ReturnType<typeof createApp>, user: string, password: string) => request(app).post('/api/v1/login').send({ user, password });

describe.each(places())('npm run admin ($name store)', ({ make }) => {
  let place: Place;
  let clock: FakeClock;
  beforeEach(() => {
    place = make();
    clock = new FakeClock();
  });
  afterEach(() => place.remove());

  it('reset-password: a new password, printed once; the old one and every login token end', async () => {
    const seeded = await (async () => {
      const { store, close } = await serviceOver(place.env, clock);
      const user = await seedInto(store, clock, { username: 'Operator', roles: ['admin', 'user'] });
      await close();
      return user;
    })();
    const { status, out, err } = await run(['reset-password', 'operator'], place.env, clock);
    expect(status).toBe(EXIT.ok);
    const password = /^New password for "operator": (\S{20})\n$/.exec(out)?.[1] as string;
    expect(password).toBeDefined();
    expect(err).toContain('1 login token(s) of "operator" ended');
    const service = await serviceOver(place.env, clock);
    try {
      expect((await login(service.app, 'Operator', TEST_PASSWORD)).status).toBe(401);
      expect((await login(service.app, 'Operator', password)).status).toBe(200);
      expect((await request(service.app).get('/api/v1/me').set(seeded.headers)).status).toBe(401);
    } finally {
      await service.close();
    }
  });

  it('create-admin: creates an admin, or makes a deactivated user an active admin again', async () => {
    const created = await run(['create-admin', 'rescue'], place.env, clock);
    expect(created.status).toBe(EXIT.ok);
    const firstPassword = /^Created admin "rescue" with the password: (\S{20})\n$/.exec(created.out)?.[1] as string;
    expect(firstPassword).toBeDefined();
    {
      const { store, close } = await serviceOver(place.env, clock);
      await seedInto(store, clock, { username: 'former', roles: ['user'], active: false });
      await close();
    }
    const promoted = await run(['create-admin', 'former'], place.env, clock);
    expect(promoted.status).toBe(EXIT.ok);
    const password = /^Admin "former" with the password: (\S{20})\n$/.exec(promoted.out)?.[1] as string;
    const service = await serviceOver(place.env, clock);
    try {
      const rescue = await login(service.app, 'rescue', firstPassword);
      expect(rescue.status).toBe(200);
      expect(rescue.body.data.me.roles).toContain('admin');
      const former = await login(service.app, 'former', password);
      expect(former.status).toBe(200);
      expect(former.body.data.me).toMatchObject({ active: true, roles: ['user', 'admin'] });
    } finally {
      await service.close();
    }
  });

  it('refuses an unknown user, a bad username and bad arguments, changing nothing', async () => {
    expect(await run(['reset-password', 'nobody'], place.env, clock)).toEqual({ status: EXIT.refused, out: '', err: 'No user "nobody". Nothing was changed.\n' });
    expect(await run(['create-admin', 'no spaces'], place.env, clock)).toMatchObject({ status: EXIT.refused, out: '', err: expect.stringContaining('no spaces is not a valid username') });
    for (const args of [[], ['reset-password'], ['frobnicate', 'x'], ['reset-password', 'a', 'b']]) {
      expect(await run(args, place.env, clock)).toMatchObject({ status: EXIT.refused, out: '', err: expect.stringContaining('usage: npm run admin') });
    }
  });
});

describe('npm run admin on a data file the running service holds', () => {
  it('refuses, saying why, and changes nothing', async () => {
    const dir = tempDataDir();
    const running = SqliteStore.open({ dataDir: dir.dir });
    try {
      await seedInto(running, new FakeClock(), { username: 'operator' });
      const { status, out, err } = await run(['reset-password', 'operator'], { DATA_DIR: dir.dir });
      expect(status).toBe(EXIT.storeUnavailable);
      expect(out).toBe('');
      expect(err).toContain('is in use by another process');
      expect(err).toContain('Stop the service first');
      expect((await running.findUserByLogin('operator'))?.credentials?.loginTokens).toHaveLength(1);
    } finally {
      await running.close();
      dir.remove();
    }
  });
});

describe('the real command', () => {
  // One run of the entry point as an operator runs it (node, the sources compiled on the fly: no build step here).
  it('resets a password on a temporary DATA_DIR and prints it once', async () => {
    const dir = tempDataDir();
    try {
      const store = SqliteStore.open({ dataDir: dir.dir });
      await seedInto(store, new FakeClock(), { username: 'operator', roles: ['admin'] });
      await store.close();
      const { stdout, stderr } = await promisify(execFile)(process.execPath, ['-r', path.join(ROOT, 'tests/hardening/support/registerTs.js'), path.join(ROOT, 'src/admin.ts'), 'reset-password', 'operator'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, DATA_DIR: dir.dir },
        timeout: 50_000,
      });
      const password = /^New password for "operator": (\S{20})\n$/.exec(stdout)?.[1] as string;
      expect(password).toBeDefined();
      expect(stderr).toContain('The password is shown this once');
      const after = SqliteStore.open({ dataDir: dir.dir });
      const service = createApp({ store: after, clock: new FakeClock(), config: TEST_CONFIG, logger: pino({ level: 'silent' }) });
      try {
        expect((await login(service, 'operator', password)).status).toBe(200);
      } finally {
        service.closeStreams();
        await after.close();
      }
    } finally {
      dir.remove();
    }
    // A child node compiling the sources on the fly: seconds on a busy machine.
  }, 60_000);
});
