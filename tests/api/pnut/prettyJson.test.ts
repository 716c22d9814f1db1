import request from 'supertest';
import { appPerTest, currentApp, describeEachStore, type SeededUser } from '../../support/testApp';

/** pnut.io's docs: "If it is set at all, the JSON will be returned that way"; their examples indent by 4 spaces. */
describeEachStore('X-Pretty-Json on /v0', (kind) => {
  const t = currentApp(appPerTest(kind, { corsOrigins: ['https://chat.example.com'] }));
  let alice: SeededUser;
  beforeEach(async () => {
    alice = await t.seedUser({ username: 'alice', name: 'Alice' });
  });
  /** Alice's presence object's members, each on its line at `indent` spaces, as pnut.io's 4-space indentation nests them. */
  const aliceMembers = (indent: number, presence: string, lastSeenAt?: string): string => [
    `"id": "${alice.user.id}"`,
    '"username": "alice"',
    '"name": "Alice"',
    `"presence": "${presence}"`,
    ...(lastSeenAt === undefined ? [] : [`"last_seen_at": "${lastSeenAt}"`]),
  ].map((member) => `${' '.repeat(indent)}${member}`).join(',\n');
  const prettyOk = '{\n    "meta": {\n        "code": 200\n    },\n';

  it('indents a presence object by 4 spaces, and that is the only difference from the compact answer', async () => {
    const compact = await request(t.app).get('/v0/users/me/presence').set(alice.bearer);
    const pretty = await request(t.app).get('/v0/users/me/presence').set(alice.bearer).set('X-Pretty-Json', '1');
    expect(pretty.status).toBe(200);
    expect(pretty.text).toBe(`${prettyOk}    "data": {\n${aliceMembers(8, 'offline')}\n    }\n}`);
    expect(compact.text).toBe(`{"meta":{"code":200},"data":{"id":"${alice.user.id}","username":"alice","name":"Alice","presence":"offline"}}`);
    expect(pretty.headers['content-type']).toBe(compact.headers['content-type']);
    expect(pretty.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('indents whatever the header says, as pnut.io does for a header set at all', async () => {
    for (const value of ['1', 'true', '0']) {
      const res = await request(t.app).put('/v0/users/me/presence').set(alice.bearer).set('X-Pretty-Json', value).send({ presence: 'away' });
      expect(res.status).toBe(200);
      expect(res.text).toBe(`${prettyOk}    "data": {\n${aliceMembers(8, 'away', t.clock.now().toISOString())}\n    }\n}`);
    }
  });

  it('indents the list, meta.updated_presence included, and an empty list stays []', async () => {
    const empty = await request(t.app).get('/v0/presence').set(alice.bearer).set('X-Pretty-Json', '1');
    expect(empty.status).toBe(200);
    expect(empty.text).toBe(`${prettyOk}    "data": []\n}`);

    const res = await request(t.app).get('/v0/presence?update_presence=online').set(alice.bearer).set('X-Pretty-Json', '1');
    expect(res.status).toBe(200);
    expect(res.text).toBe(
      `{\n    "meta": {\n        "code": 200,\n        "updated_presence": true\n    },\n    "data": [\n        {\n${aliceMembers(12, 'online', t.clock.now().toISOString())}\n        }\n    ]\n}`,
    );
  });

  it('indents error envelopes: 401, 404 on an unknown route, 400 naming the parameter', async () => {
    const unauthenticated = await request(t.app).get('/v0/presence').set('X-Pretty-Json', '1');
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.text).toBe('{\n    "meta": {\n        "code": 401,\n        "error_message": "You must be logged in to do this."\n    }\n}');

    const unknown = await request(t.app).get('/v0/no-such-thing').set('X-Pretty-Json', '1');
    expect(unknown.status).toBe(404);
    expect(unknown.text).toBe('{\n    "meta": {\n        "code": 404,\n        "error_message": "Not found: GET /v0/no-such-thing"\n    }\n}');

    const compactBad = await request(t.app).put('/v0/users/me/presence').set(alice.bearer).send({ presence: 'x'.repeat(101) });
    const prettyBad = await request(t.app).put('/v0/users/me/presence').set(alice.bearer).set('X-Pretty-Json', '1').send({ presence: 'x'.repeat(101) });
    expect(prettyBad.status).toBe(400);
    expect(compactBad.status).toBe(400);
    expect(prettyBad.text).toBe(`{\n    "meta": {\n        "code": 400,\n        "error_message": ${JSON.stringify(compactBad.body.meta.error_message)}\n    }\n}`);
    expect(prettyBad.body.meta.error_message).toContain('presence');
  });

  it('gives the indented list its own ETag, answers 304 to it, and says the answer varies by the header', async () => {
    const compact = await request(t.app).get('/v0/presence').set(alice.bearer);
    const pretty = await request(t.app).get('/v0/presence').set(alice.bearer).set('X-Pretty-Json', '1');
    expect(compact.status).toBe(200);
    expect(pretty.status).toBe(200);
    expect(compact.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(pretty.headers.etag).toBe(compact.headers.etag.replace(/"$/, '.p"'));
    expect(compact.headers.vary).toMatch(/\bX-Pretty-Json\b/);
    expect(pretty.headers.vary).toMatch(/\bX-Pretty-Json\b/);

    const notModified = await request(t.app).get('/v0/presence').set(alice.bearer).set('X-Pretty-Json', '1').set('If-None-Match', pretty.headers.etag);
    expect(notModified.status).toBe(304);
    expect(notModified.text).toBe('');
    expect(notModified.headers.etag).toBe(pretty.headers.etag);
    expect(notModified.headers.vary).toMatch(/\bX-Pretty-Json\b/);

    // The compact form's tag does not stand for the indented one, nor the other way round.
    const otherForm = await request(t.app).get('/v0/presence').set(alice.bearer).set('X-Pretty-Json', '1').set('If-None-Match', compact.headers.etag);
    expect(otherForm.status).toBe(200);
    expect(otherForm.text).toBe(pretty.text);
    const backToCompact = await request(t.app).get('/v0/presence').set(alice.bearer).set('If-None-Match', pretty.headers.etag);
    expect(backToCompact.status).toBe(200);
    expect(backToCompact.text).toBe(compact.text);

    const updated = await request(t.app).get('/v0/presence?update_presence=online').set(alice.bearer).set('X-Pretty-Json', '1');
    expect(updated.headers.etag).toMatch(/\.t\.p"$/);
  });

  it('leaves Rocket.Chat answers compact and unchanged', async () => {
    const plain = await request(t.app).get('/api/v1/users.presence').set(alice.headers);
    const asked = await request(t.app).get('/api/v1/users.presence').set(alice.headers).set('X-Pretty-Json', '1');
    expect(asked.status).toBe(200);
    expect(asked.text).toBe(plain.text);
    expect(asked.text).not.toContain('\n');
    expect(asked.headers.etag).toBe(plain.headers.etag);
    expect(asked.headers.vary ?? '').not.toMatch(/X-Pretty-Json/i);
    const refused = await request(t.app).get('/api/v1/me').set('X-Pretty-Json', '1');
    expect(refused.status).toBe(401);
    expect(refused.text).toBe('{"success":false,"error":"You must be logged in to do this.","status":"error","message":"You must be logged in to do this."}');
  });

  it('lets a browser send the header across origins', async () => {
    const res = await request(t.app).options('/v0/presence').set('Origin', 'https://chat.example.com')
      .set('Access-Control-Request-Method', 'GET').set('Access-Control-Request-Headers', 'authorization,x-pretty-json');
    expect(res.status).toBe(204);
    expect(String(res.headers['access-control-allow-headers']).toLowerCase().split(',')).toContain('x-pretty-json');
  });
});
