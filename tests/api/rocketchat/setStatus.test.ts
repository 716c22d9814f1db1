import request from 'supertest';
import { appPerTest, currentApp, describeEachStore, seedUsers, type SeededUser } from '../../support/testApp';
import { expectCleanJsonError, expectRocketChatJson, presenceList, setStatus } from './rocketChatKit';
import { DATE_TIME_MAX, STATUS_NAME_MAX, USER_ID_MAX, USERNAME_MAX } from '../../../src/http/validation/limits';

/** POST /api/v1/users.setStatus: status and status text, as Rocket.Chat takes them. */
describeEachStore('Rocket.Chat users.setStatus', (kind) => {
  const t = currentApp(appPerTest(kind));
  let alice: SeededUser, viewer: SeededUser;
  beforeEach(async () => {
    [alice, viewer] = await seedUsers(t, { username: 'alice' }, { username: 'viewer' });
  });

  /** Alice as the viewer sees her in the full list; undefined when she is not listed. */
  async function aliceAsListed() {
    const list = await presenceList(t, viewer);
    return list.users.find((user) => user._id === alice.user.id);
  }

  it.each(['online', 'away', 'busy'])('sets %s and answers exactly {success:true}', async (status) => {
    const res = await setStatus(t, alice, { status });
    expect(res.status).toBe(200);
    expectRocketChatJson(res);
    expect(res.body).toEqual({ success: true });
    expect((await aliceAsListed())?.status).toBe(status);
  });

  it('treats offline as invisible: the user leaves the list and reads as offline', async () => {
    await setStatus(t, alice, { status: 'online' });
    const res = await setStatus(t, alice, { status: 'offline' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true });
    expect(await aliceAsListed()).toBeUndefined();
    const presence = await request(t.app).get('/api/v1/users.getPresence').query({ userId: alice.user.id }).set(viewer.headers);
    expect(presence.body).toEqual({ presence: 'offline', success: true });
  });

  it('trims the status text', async () => {
    await setStatus(t, alice, { status: 'away', message: '   out for lunch \n\t' });
    expect(await aliceAsListed()).toMatchObject({ status: 'away', statusText: 'out for lunch' });
  });

  it('cuts the status text to 120 characters, silently', async () => {
    const long = 'x'.repeat(100) + 'y'.repeat(100);
    const res = await setStatus(t, alice, { status: 'online', message: long });
    expect(res.status).toBe(200);
    expect((await aliceAsListed())?.statusText).toBe(long.slice(0, 120));
  });

  it('trims before cutting', async () => {
    await setStatus(t, alice, { status: 'online', message: '     ' + 'z'.repeat(130) });
    expect((await aliceAsListed())?.statusText).toBe('z'.repeat(120));
  });

  it('changes the text alone and keeps the status', async () => {
    await setStatus(t, alice, { status: 'busy' });
    const res = await setStatus(t, alice, { message: 'focus time' });
    expect(res.status).toBe(200);
    expect(await aliceAsListed()).toMatchObject({ status: 'busy', statusText: 'focus time' });
  });

  it('changes the status alone and keeps the text', async () => {
    await setStatus(t, alice, { status: 'busy', message: 'focus time' });
    await setStatus(t, alice, { status: 'away' });
    expect(await aliceAsListed()).toMatchObject({ status: 'away', statusText: 'focus time' });
  });

  it('clears the text with an empty message: statusText leaves the user object', async () => {
    await setStatus(t, alice, { status: 'online', message: 'hello' });
    await setStatus(t, alice, { message: '' });
    const listed = await aliceAsListed();
    expect(listed?.status).toBe('online');
    expect(listed).not.toHaveProperty('statusText');
  });

  it('accepts a form-encoded body as well as JSON', async () => {
    const res = await request(t.app).post('/api/v1/users.setStatus').set(alice.headers).type('form').send('status=away&message=hi');
    expect(res.status).toBe(200);
    expect(await aliceAsListed()).toMatchObject({ status: 'away', statusText: 'hi' });
  });

  it.each(['dnd', 'Online', 'invisible', ''])('refuses the unknown status %j with 400 error-invalid-status', async (status) => {
    await setStatus(t, alice, { status: 'away' });
    const res = await setStatus(t, alice, { status });
    expect(res.status).toBe(400);
    expectCleanJsonError(res);
    expect(res.body).toEqual({ success: false, error: expect.stringMatching(/^Valid status types include .*\[error-invalid-status\]$/), errorType: 'error-invalid-status' });
    expect((await aliceAsListed())?.status).toBe('away');
  });

  it('refuses a body with neither status nor message with 400 and Rocket.Chat’s words (no errorType, as Rocket.Chat)', async () => {
    for (const body of [{}, { userId: alice.user.id }, { expiresAt: '2030-01-01T00:00:00.000Z' }]) {
      const res = await setStatus(t, alice, body);
      expect(res.status).toBe(400);
      expectCleanJsonError(res);
      expect(res.body).toEqual({ success: false, error: 'Match error: Failed Match.OneOf, Match.Maybe or Match.Optional validation' });
    }
  });

  it('refuses a status that is not a string', async () => {
    for (const status of [1, ['online'], { $ne: 'offline' }, null, true]) {
      const res = await setStatus(t, alice, { status });
      expect(res.status).toBe(400);
      expectCleanJsonError(res);
      expect(res.body.error).toContain('"status"');
    }
  });

  it('refuses an oversize message with 400 naming it, rather than storing it', async () => {
    const res = await setStatus(t, alice, { status: 'online', message: 'm'.repeat(5000) });
    expect(res.status).toBe(400);
    expectCleanJsonError(res);
    expect(res.body).toEqual({ success: false, error: expect.stringContaining('"message"'), errorType: 'invalid-params' });
  });

  const invalidParam = (param: string, message: string) => ({ success: false, error: `The parameter "${param}" ${message} [invalid-params]`, errorType: 'invalid-params' });
  const NOT_A_DATE_TIME = 'must be an ISO 8601 date-time, such as 2019-05-22T12:11:45.392Z';
  it.each([
    ['a status too long', { status: 's'.repeat(STATUS_NAME_MAX + 1) }, 'status', `must be at most ${STATUS_NAME_MAX} characters long`],
    ['a message that is not valid Unicode', { message: 'a\uD800b' }, 'message', 'must be valid Unicode text'],
    ['a message that is null', { status: 'away', message: null }, 'message', 'must be a single string'],
    ['a userId that is a list', { status: 'away', userId: ['x'] }, 'userId', 'must be a single string'],
    ['a userId too long', { status: 'away', userId: 'i'.repeat(USER_ID_MAX + 1) }, 'userId', `must be at most ${USER_ID_MAX} characters long`],
    ['a username that is an object', { status: 'away', username: { $ne: '' } }, 'username', 'must be a single string'],
    ['a user too long', { status: 'away', user: 'u'.repeat(USERNAME_MAX + 1) }, 'user', `must be at most ${USERNAME_MAX} characters long`],
    ['an expiresAt that is not a date-time', { status: 'away', expiresAt: 'tomorrow' }, 'expiresAt', NOT_A_DATE_TIME],
    ['an expiresAt that is a number', { status: 'away', expiresAt: 1767225600000 }, 'expiresAt', 'must be a single string'],
    ['an expiresAt too long', { status: 'away', expiresAt: `2026-01-01T00:00:00Z${' '.repeat(DATE_TIME_MAX)}` }, 'expiresAt', `must be at most ${DATE_TIME_MAX} characters long`],
    // Several wrong: the first in the order status, message, userId, username, user, expiresAt is named.
    ['a wrong user and a wrong expiresAt', { status: 'away', expiresAt: 'x', user: 7 }, 'user', 'must be a single string'],
    ['a wrong message and a wrong status', { message: 7, status: 7 }, 'status', 'must be a single string'],
    ['a wrong userId and a wrong username', { username: 7, status: 'away', userId: 7 }, 'userId', 'must be a single string'],
  ])('refuses %s with 400 naming the first invalid field', async (_label, sent, param, message) => {
    const res = await setStatus(t, alice, sent);
    expect(res.status).toBe(400);
    expectCleanJsonError(res);
    expect(res.body).toEqual(invalidParam(param, message));
  });

  it('does not let a user set another user’s status (403), but lets an admin', async () => {
    const denied = await setStatus(t, viewer, { status: 'busy', userId: alice.user.id });
    expect(denied.status).toBe(403);
    expectRocketChatJson(denied);
    expect(denied.body).toEqual({ success: false, error: 'unauthorized' });
    expect(await aliceAsListed()).toBeUndefined();

    const admin = await t.seedUser({ roles: ['admin', 'user'] });
    const allowed = await setStatus(t, admin, { status: 'busy', userId: alice.user.id });
    expect(allowed.status).toBe(200);
    // As in Rocket.Chat: the admin chose Alice's status, but only her own devices make her present.
    expect(await aliceAsListed()).toBeUndefined();
    await setStatus(t, alice, { message: 'here' });
    expect(await aliceAsListed()).toBeUndefined();
    // Alice's own client, holding no stream, declares herself: the status the admin chose is what others see.
    await request(t.app).post('/api/v1/users.presence.heartbeat').set(alice.headers).send({}).expect(200);
    expect((await aliceAsListed())?.status).toBe('busy');
  });

  it('lets a user name themself in userId', async () => {
    const res = await setStatus(t, alice, { status: 'away', userId: alice.user.id });
    expect(res.status).toBe(200);
    expect((await aliceAsListed())?.status).toBe('away');
  });

  it('keeps a status for the presence lifetime, not forever', async () => {
    await setStatus(t, alice, { status: 'online' });
    t.clock.advanceSeconds(899);
    expect((await aliceAsListed())?.status).toBe('online');
    t.clock.advanceSeconds(2);
    expect(await aliceAsListed()).toBeUndefined();
  });

  it('renews the presence lifetime with every status set', async () => {
    await setStatus(t, alice, { status: 'online' });
    t.clock.advanceSeconds(800);
    await setStatus(t, alice, { status: 'online' });
    t.clock.advanceSeconds(800);
    expect((await aliceAsListed())?.status).toBe('online');
  });
});
