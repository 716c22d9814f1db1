import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import request from 'supertest';
import { createApp, type PresenceApp } from '../../src/app';
import { systemClock } from '../../src/domain/ports/clock';
import { listen, openStream, type SseClient } from '../api/stream/sseClient';
import { storeKinds, type TestStore } from '../support/stores';
import { seedInto, TEST_CONFIG, TEST_PASSWORD, type SeededUser } from '../support/testApp';

/**
 * The presence page at `GET /`, in a real browser: Debian's chromium driven by playwright-core. The browser runs
 * on real time (EventSource, timers), so this app does too (the system clock), and every wait is bounded. The
 * page's own timers run on Playwright's clock, which flows as real time does until a test moves it on.
 */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/**
 * How long a wait for something on screen may last before the test fails: real time, as the browser runs on it.
 * Generous (the machine may be busy): each wait ends as soon as what it waits for shows, so this is a bound on a
 * broken page, not a speed the test asserts.
 */
const SLOW_MS = 10_000;
const SCREENSHOT = path.join(__dirname, '..', '..', 'docs', 'presence-page.png');
const PAGE_CSP = "default-src 'self';script-src 'self';style-src 'self';img-src 'self' data:;connect-src 'self';frame-ancestors 'none';base-uri 'none';form-action 'self'";

jest.setTimeout(60_000);

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && !process.env.CI) process.stderr.write(`presence page browser tests skipped: no ${CHROMIUM} (apt-get install chromium; .ci/run does)\n`);
// In CI a missing browser fails the run: a green CI must mean the page was tried in a browser.
const describeInBrowser = haveChromium || process.env.CI ? describe : describe.skip;

let store: TestStore;
let app: PresenceApp;
let server: Awaited<ReturnType<typeof listen>>;
let ada: SeededUser;
let grace: SeededUser;
let alan: SeededUser;

beforeAll(async () => {
  const embedded = storeKinds().find((kind) => kind.name === 'embedded');
  if (embedded === undefined) throw new Error('no embedded store kind');
  store = await embedded.create();
  app = createApp({ store, clock: systemClock, config: TEST_CONFIG, logger: pino({ level: 'silent' }) });
  server = await listen(app);
  ada = await seedInto(store, systemClock, { username: 'ada', name: 'Ada Lovelace' });
  grace = await seedInto(store, systemClock, { username: 'grace', name: 'Grace Hopper' });
  alan = await seedInto(store, systemClock, { username: 'alan', name: 'Alan Turing' });
});

afterAll(async () => {
  app.closeStreams();
  await server.close();
  await store.dispose();
});

async function setStatus(who: SeededUser, status: string, message: string): Promise<void> {
  await request(app).post('/api/v1/users.setStatus').set(who.headers).send({ status, message }).expect(200);
}

describe('GET / and its files', () => {
  it('serves the page with its own strict Content-Security-Policy, never framed, revalidated by ETag', async () => {
    const res = await request(app).get('/').expect(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toBe(PAGE_CSP);
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    // The API's no-store is not the page's: it is revalidated, not refetched.
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    // No inline script or style for the policy to refuse: the script and stylesheet are files of their own.
    expect(res.text).toMatch(/<script src="\/page\.js" defer><\/script>/);
    expect(res.text).not.toMatch(/<script(?![^>]*\ssrc=)|<style|\sstyle=|\son[a-z]+=/i);
    expect(res.text).toMatch(/<input id="login-user" name="user"/);
    expect(res.text).toMatch(/<input id="login-password" name="password" type="password"/);

    const again = await request(app).get('/').set('If-None-Match', res.headers.etag).expect(304);
    expect(again.text).toBe('');
    expect(again.headers.etag).toBe(res.headers.etag);
  });

  it.each([
    ['/page.js', 'text/javascript; charset=utf-8', /^\/\/ The presence page/],
    ['/page.css', 'text/css; charset=utf-8', /^\/\* The presence page/],
  ])('serves %s as %s with the same headers', async (file, type, start) => {
    const res = await request(app).get(file).expect(200);
    expect(res.headers['content-type']).toBe(type);
    expect(res.headers['content-security-policy']).toBe(PAGE_CSP);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.text).toMatch(start);
  });

  it('serves nothing else at the root: other files and methods are the API\'s JSON 404', async () => {
    for (const res of [await request(app).get('/index.html'), await request(app).get('/page.ts'), await request(app).post('/').send({})]) {
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toBe('application/json');
      expect(res.body.success).toBe(false);
    }
  });
});

describeInBrowser('the presence page in Chromium', () => {
  let context: BrowserContext;
  let profile: string;
  let pages: Page[] = [];
  /** Policy violations and uncaught errors of every page: each test ends with none. */
  let problems: string[] = [];
  /** Other users' streams opened by the test, closed after it. */
  const watchers: SseClient[] = [];

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium`);
    profile = mkdtempSync(path.join(os.tmpdir(), 'presence-page-chromium-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: SLOW_MS, viewport: { width: 400, height: 720 } });
    context.setDefaultTimeout(SLOW_MS);
    // For the whole context, before any page loads (the clock is the context's, not a page's): time flows as usual,
    // and a test may jump it forward (the idle time limit) where waiting would take minutes.
    await context.clock.install();
  });

  afterAll(async () => {
    await context?.close();
    if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
  });

  afterEach(async () => {
    for (const page of pages) await page.close();
    pages = [];
    for (const watcher of watchers.splice(0)) watcher.close();
    const seen = problems;
    problems = [];
    expect(seen).toEqual([]);
  });

  /** A new tab (so a new sessionStorage: logged out) on the page. */
  async function openPage(): Promise<Page> {
    const page = await context.newPage();
    pages.push(page);
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) problems.push(`policy: ${message.text()}`);
    });
    await page.goto(`http://127.0.0.1:${server.port}/`, { timeout: SLOW_MS });
    return page;
  }

  /** Logs in with the keyboard only: type the user, Tab to the password, Enter submits. */
  async function logIn(page: Page, who: SeededUser, password = TEST_PASSWORD): Promise<void> {
    await page.locator('input[name="user"]').focus();
    await page.keyboard.type(who.user.username);
    await page.keyboard.press('Tab');
    await page.keyboard.type(password);
    await page.keyboard.press('Enter');
  }

  const connection = (page: Page, state: 'live' | 'reconnecting', text: string) => page.locator(`#connection[data-state="${state}"]`, { hasText: text });

  function exactly(text: string): RegExp {
    return new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  }

  /** The list entry of a user showing exactly this status and status text. */
  function entry(page: Page, who: SeededUser, status: string, text: string): Locator {
    return page
      .locator(`#users > li[data-user-id="${who.user.id}"]`)
      .filter({ has: page.locator('.user-status', { hasText: exactly(status) }) })
      .filter({ has: page.locator('.user-text', { hasText: text === '' ? /^$/ : exactly(text) }) });
  }

  async function loggedIn(who: SeededUser): Promise<Page> {
    const page = await openPage();
    await logIn(page, who);
    await connection(page, 'live', 'Live').waitFor({ timeout: SLOW_MS });
    return page;
  }

  /** The page's login, as it keeps it in sessionStorage: the headers of its device. */
  async function loginOf(page: Page): Promise<Record<string, string>> {
    const saved = JSON.parse(String(await page.evaluate('sessionStorage.getItem("presence-session")'))) as { userId: string; authToken: string };
    return { 'X-User-Id': saved.userId, 'X-Auth-Token': saved.authToken };
  }

  /**
   * The answer to the next heartbeat the page sends saying `status`. Called before what should make the page send
   * it, awaited after.
   */
  async function nextHeartbeat(page: Page, status: 'online' | 'away'): Promise<unknown> {
    const response = await page.waitForResponse(
      (res) => new URL(res.url()).pathname === '/api/v1/users.presence.heartbeat' && (res.request().postDataJSON() as { status?: string } | null)?.status === status,
      { timeout: SLOW_MS },
    );
    expect(response.status()).toBe(200);
    return response.json();
  }

  /** What another user (Grace) is told of `who` through the API: users.getStatus by id. */
  async function statusOf(who: SeededUser): Promise<string> {
    const res = await request(app).get('/api/v1/users.getStatus').query({ userId: who.user.id }).set(grace.headers).expect(200);
    return res.body.status as string;
  }

  /** Another user's client (Grace's) following `who` through the API: her own presence stream, on that user alone. */
  async function watch(who: SeededUser): Promise<SseClient> {
    const watcher = await openStream(server.port, `/api/v1/users.presence.stream?ids=${who.user.id}`, grace.headers);
    watchers.push(watcher);
    expect(watcher.status).toBe(200);
    await watcher.event(0);
    return watcher;
  }

  /** Resolves once the last status `watcher` was told of `who` is `status`; a full list without her says offline. */
  async function untilShown(watcher: SseClient, who: SeededUser, status: string): Promise<void> {
    const last = () => {
      let shown: unknown;
      for (const { data } of watcher.events) {
        const user = data.users.find((candidate) => candidate._id === who.user.id);
        if (user !== undefined) shown = user.status;
        else if (data.full) shown = 'offline';
      }
      return shown;
    };
    await watcher.until(() => last() === status, `${who.user.username} shown ${status}`);
  }

  /**
   * `who` chooses online again, and none of her logins is declared present: earlier tests chose away for her, and
   * users.setStatus from a login without a stream or heartbeat would declare that login present for 15 minutes, a
   * device of its own. pnut's clear (update_presence=0, on any call) does both. She is then offline: no device.
   */
  async function onlineWithoutDevices(who: SeededUser): Promise<void> {
    const res = await request(app).get('/api/v1/me').query({ update_presence: '0' }).set(who.headers).expect(200);
    expect(res.headers['x-updated-presence']).toBe('true');
    expect(await statusOf(who)).toBe('offline');
  }

  it('logs in through the form and lists the present users, status written out; the token stays out of URLs and localStorage', async () => {
    await setStatus(grace, 'away', 'Lunch');
    await setStatus(alan, 'offline', '');
    const page = await openPage();
    await logIn(page, ada, 'not the password');
    await page.locator('#login-error', { hasText: 'Wrong user name or password.' }).waitFor({ timeout: SLOW_MS });

    await page.locator('input[name="password"]').fill(TEST_PASSWORD);
    await page.locator('input[name="password"]').press('Enter');
    await connection(page, 'live', 'Live').waitFor({ timeout: SLOW_MS });
    await entry(page, grace, 'Away', 'Lunch').waitFor({ timeout: SLOW_MS });
    // Her own stream is her device's connection: she is present too, marked as herself.
    await entry(page, ada, 'Online', '').waitFor({ timeout: SLOW_MS });
    expect(await page.locator('#users > li').count()).toBe(2);
    expect(await page.locator('#users > li.user-self .user-handle').textContent()).toBe('@ada (you)');
    expect(await page.locator('#users-count').textContent()).toBe('(2)');
    expect(await page.locator('#login').isHidden()).toBe(true);
    expect(await page.locator('#signed-in-as').textContent()).toBe('Logged in as Ada Lovelace (@ada).');
    // Focus moves to the status part, so a keyboard user carries on from there.
    expect(await page.evaluate('document.activeElement.id')).toBe('own-heading');

    expect(page.url()).toBe(`http://127.0.0.1:${server.port}/`);
    expect(await page.evaluate('localStorage.length')).toBe(0);
    const saved = JSON.parse(String(await page.evaluate('sessionStorage.getItem("presence-session")'))) as Record<string, string>;
    expect(saved.userId).toBe(ada.user.id);
    expect(saved.authToken).toMatch(/^[A-Za-z0-9_-]{20,}$/);
  });

  it('says so when logins are blocked after too many failures (Rocket.Chat\'s 401 error-login-blocked-for-ip), not that the password is wrong', async () => {
    // A store of its own: the failures of the other tests from this address are not counted against it.
    const embedded = storeKinds().find((kind) => kind.name === 'embedded');
    if (embedded === undefined) throw new Error('no embedded store kind');
    const limitedStore = await embedded.create();
    const kay = await seedInto(limitedStore, systemClock, { username: 'kay', name: 'Kay' });
    const limited = createApp({ store: limitedStore, clock: systemClock, config: { ...TEST_CONFIG, loginRateLimit: 1 }, logger: pino({ level: 'silent' }) });
    const limitedServer = await listen(limited);
    try {
      const page = await context.newPage();
      pages.push(page);
      await page.goto(`http://127.0.0.1:${limitedServer.port}/`, { timeout: SLOW_MS });
      await logIn(page, kay, 'not the password');
      await page.locator('#login-error', { hasText: 'Wrong user name or password.' }).waitFor({ timeout: SLOW_MS });
      await page.locator('input[name="password"]').fill(TEST_PASSWORD);
      await page.locator('input[name="password"]').press('Enter');
      await page.locator('#login-error', { hasText: 'Too many failed logins. Wait a minute and try again.' }).waitFor({ timeout: SLOW_MS });
      expect(await page.locator('#login').isHidden()).toBe(false);
    } finally {
      limited.closeStreams();
      await limitedServer.close();
      await limitedStore.dispose();
    }
  });

  it('shows a status another user sets through the API within 2 s, and drops a user who goes offline, leaving herself', async () => {
    await setStatus(grace, 'online', '');
    const page = await loggedIn(ada);
    await entry(page, grace, 'Online', '').waitFor({ timeout: SLOW_MS });

    await setStatus(grace, 'busy', 'In a meeting until 3');
    await entry(page, grace, 'Busy', 'In a meeting until 3').waitFor({ timeout: SLOW_MS });

    await setStatus(grace, 'offline', '');
    await page.locator(`#users > li[data-user-id="${grace.user.id}"]`).waitFor({ state: 'detached', timeout: SLOW_MS });
    // Her own page keeps her online: she alone is left, so the list is not empty.
    expect(await page.locator('#users > li').count()).toBe(1);
    await entry(page, ada, 'Online', '').waitFor({ timeout: SLOW_MS });
    expect(await page.locator('#users-count').textContent()).toBe('(1)');
    expect(await page.locator('#users-empty').isHidden()).toBe(true);
  });

  it('sets its own status and text from the form, which the API then reports', async () => {
    const page = await loggedIn(ada);
    await page.locator('select[name="status"]').selectOption('away');
    await page.locator('input[name="message"]').fill('Reading <b>notes</b>');
    await page.locator('input[name="message"]').press('Enter');
    await page.locator('#status-result', { hasText: 'Status saved.' }).waitFor({ timeout: SLOW_MS });

    const res = await request(app).get('/api/v1/users.getStatus').query({ userId: ada.user.id }).set(grace.headers).expect(200);
    expect(res.body).toEqual({ _id: ada.user.id, status: 'away', message: 'Reading <b>notes</b>', success: true });
    // Her own entry arrives through the stream like anyone's; the text is shown as text, never as markup.
    await entry(page, ada, 'Away', 'Reading <b>notes</b>').waitFor({ timeout: SLOW_MS });
    expect(await page.locator('#users b').count()).toBe(0);
  });

  it('shows "Reconnecting…" while the stream is down, then resumes and shows later changes', async () => {
    await setStatus(grace, 'online', 'Back');
    const page = await loggedIn(ada);
    await entry(page, grace, 'Online', 'Back').waitFor({ timeout: SLOW_MS });

    server.dropConnections();
    await connection(page, 'reconnecting', 'Reconnecting…').waitFor({ timeout: SLOW_MS });
    expect(await page.locator('#connection').getAttribute('aria-live')).toBe('polite');
    await connection(page, 'live', 'Live').waitFor({ timeout: SLOW_MS });

    await setStatus(grace, 'away', 'Coffee');
    await entry(page, grace, 'Away', 'Coffee').waitFor({ timeout: SLOW_MS });
  });

  it('keeps the login over a reload, and Log out ends it', async () => {
    const page = await loggedIn(ada);
    const token = (JSON.parse(String(await page.evaluate('sessionStorage.getItem("presence-session")'))) as { authToken: string }).authToken;
    await page.reload({ timeout: SLOW_MS });
    await connection(page, 'live', 'Live').waitFor({ timeout: SLOW_MS });

    await page.locator('#logout').click();
    await page.locator('#login').waitFor({ timeout: SLOW_MS });
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    expect(await page.locator('#connection').textContent()).toBe('');
    await request(app).get('/api/v1/me').set({ 'X-User-Id': ada.user.id, 'X-Auth-Token': token }).expect(401);
    // Logging out ended her page's connection with the login: no device is left to show her.
    expect(await statusOf(ada)).toBe('offline');
  });

  it('makes its user online for other users while it is open, heartbeating its stream\'s connection, and offline within 2 s once closed', async () => {
    await onlineWithoutDevices(ada);
    const watcher = await watch(ada);
    await untilShown(watcher, ada, 'offline');

    const page = await openPage();
    const firstBeat = nextHeartbeat(page, 'online');
    await logIn(page, ada);
    await connection(page, 'live', 'Live').waitFor({ timeout: SLOW_MS });
    await untilShown(watcher, ada, 'online');
    expect(await statusOf(ada)).toBe('online');
    await entry(page, ada, 'Online', '').waitFor({ timeout: SLOW_MS });

    // Right after the stream opened, the page said it is alive and in use; the service answers when to say it again.
    expect(await firstBeat).toEqual({ status: 'online', expiresAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/), heartbeatSeconds: 12, success: true });
    // The heartbeat renewed the stream's connection rather than adding one: one device, one connection.
    const own = await request(app).get('/api/v1/users.getStatus').set(await loginOf(page)).expect(200);
    expect({ connectionStatus: own.body.connectionStatus, connections: own.body.connections }).toEqual({ connectionStatus: 'online', connections: { stream: 1, heartbeat: 0, declaration: 0 } });

    // Closing the tab closes the stream, which ends the connection at once: her only device is gone. A lease left to
    // lapse would take 18 s or more (CONNECTION_LEASE_SECONDS less the heartbeat period).
    const closing = Date.now();
    await page.close();
    await untilShown(watcher, ada, 'offline');
    expect(Date.now() - closing).toBeLessThan(2_000);
    expect(await statusOf(ada)).toBe('offline');
  });

  it('goes away for other users after 5 minutes without input, and online again at the next input', async () => {
    await onlineWithoutDevices(ada);
    const watcher = await watch(ada);
    const page = await openPage();
    const firstBeat = nextHeartbeat(page, 'online');
    await logIn(page, ada);
    await firstBeat;
    await untilShown(watcher, ada, 'online');

    // The browser's clock jumps on (the server's runs on, so her connection never lapses): 4½ minutes without input
    // is not idle yet, and the heartbeat then due still says online.
    const stillInUse = nextHeartbeat(page, 'online');
    await page.clock.fastForward('04:30');
    await stillInUse;
    expect(await statusOf(ada)).toBe('online');

    // Past 5 minutes since her last key press, the page says at once that the device is idle.
    const idle = nextHeartbeat(page, 'away');
    await page.clock.fastForward('00:30');
    expect(await idle).toMatchObject({ status: 'away', success: true });
    await untilShown(watcher, ada, 'away');
    expect(await statusOf(ada)).toBe('away');
    await entry(page, ada, 'Away', '').waitFor({ timeout: SLOW_MS });

    // The next input, a move of the mouse, says at once that it is in use again.
    const back = nextHeartbeat(page, 'online');
    await page.mouse.move(120, 200);
    expect(await back).toMatchObject({ status: 'online', success: true });
    await untilShown(watcher, ada, 'online');
    expect(await statusOf(ada)).toBe('online');
    await entry(page, ada, 'Online', '').waitFor({ timeout: SLOW_MS });
  });

  it('fits 400 px without scrolling sideways (the screenshot the README shows)', async () => {
    await setStatus(ada, 'online', 'Writing the notes on the Analytical Engine');
    await setStatus(grace, 'away', 'Lunch');
    await setStatus(alan, 'busy', 'In a meeting');
    const page = await loggedIn(ada);
    for (const [who, status, text] of [[ada, 'Online', 'Writing the notes on the Analytical Engine'], [grace, 'Away', 'Lunch'], [alan, 'Busy', 'In a meeting']] as const) {
      await entry(page, who, status, text).waitFor({ timeout: SLOW_MS });
    }
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(400);
    await page.screenshot({ path: SCREENSHOT, fullPage: true, timeout: SLOW_MS });
  });
});
