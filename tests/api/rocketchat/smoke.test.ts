import request from 'supertest';
import { buildTestApp, type TestApp } from '../../support/testApp';
import { storeKinds } from '../../support/stores';

describe.each(storeKinds())('smoke on $name store', (kind) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp(kind);
  });
  afterEach(() => t.close());

  it('lists a user who set a status', async () => {
    const alice = await t.seedUser();
    await request(t.app).post('/api/v1/users.setStatus').set(alice.headers).send({ status: 'away' }).expect(200);
    const res = await request(t.app).get('/api/v1/users.presence').set(alice.headers).expect(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.body).toEqual({ users: [expect.objectContaining({ _id: alice.user._id, status: 'away' })], full: true, success: true });
  });
});
