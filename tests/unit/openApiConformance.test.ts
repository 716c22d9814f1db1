import { OpenApiConformance } from '../support/openApiConformance';

/** The checker every supertest answer goes through must itself catch drift between code and document. */
describe('OpenApiConformance', () => {
  const conformance = new OpenApiConformance();
  const presenceUser = { _id: 'a1', name: 'A', username: 'a', status: 'online', utcOffset: 0 };
  const poll = (status: number, body: unknown, contentType = 'application/json') => ({
    method: 'GET', url: 'http://127.0.0.1:1234/api/v1/users.presence?from=x', status, contentType, text: body === undefined ? '' : JSON.stringify(body),
  });

  it('accepts an answer the document describes', () => {
    expect(conformance.problemWith(poll(200, { users: [presenceUser], full: true, success: true }))).toBeUndefined();
    expect(conformance.problemWith(poll(304, undefined, undefined))).toBeUndefined();
    expect(conformance.problemWith(poll(401, { success: false, error: 'e', status: 'error', message: 'e' }))).toBeUndefined();
  });

  it('refuses a key the document does not have (a leaked field)', () => {
    expect(conformance.problemWith(poll(200, { users: [{ ...presenceUser, services: {} }], full: true, success: true })))
      .toMatch(/does not match the OpenAPI document.*services/s);
  });

  it('refuses a missing key, a wrong type and a wrong value', () => {
    const { utcOffset: _dropped, ...withoutOffset } = presenceUser;
    expect(conformance.problemWith(poll(200, { users: [withoutOffset], full: true, success: true }))).toMatch(/utcOffset/);
    expect(conformance.problemWith(poll(200, { users: [], full: 'yes', success: true }))).toMatch(/full/);
    expect(conformance.problemWith(poll(200, { users: [{ ...presenceUser, status: 'dnd' }], full: true, success: true }))).toMatch(/status/);
  });

  it('refuses a status the operation does not document, and a media type it does not give', () => {
    expect(conformance.problemWith(poll(418, { success: false, error: 'teapot' }))).toMatch(/status 418 is not documented for GET \/api\/v1\/users.presence/);
    expect(conformance.problemWith(poll(200, { users: [], full: true, success: true }, 'text/html'))).toMatch(/Content-Type text\/html/);
  });

  it('matches path templates as Express does', () => {
    const pnut = { meta: { code: 200 }, data: { id: 'b', username: 'b', presence: 'online' } };
    const answer = (url: string) => ({ method: 'GET', url, status: 200, contentType: 'application/json; charset=utf-8', text: JSON.stringify(pnut) });
    expect(conformance.problemWith(answer('/v0/users/me/presence'))).toBeUndefined();
    expect(conformance.problemWith(answer('/V0/USERS/b/PRESENCE/'))).toBeUndefined();
  });

  it('lets a route the document does not have only be refused, in its API’s error shape', () => {
    const unknown = (url: string, status: number, body: unknown) => ({ method: 'GET', url, status, contentType: 'application/json', text: JSON.stringify(body) });
    expect(conformance.problemWith(unknown('/api/v1/nothing', 404, { success: false, error: 'Not found' }))).toBeUndefined();
    expect(conformance.problemWith(unknown('/v0/nothing', 404, { meta: { code: 404, error_message: 'Not found' } }))).toBeUndefined();
    expect(conformance.problemWith(unknown('/v0/nothing', 404, { success: false, error: 'Not found' }))).toMatch(/PnutError/);
    expect(conformance.problemWith(unknown('/api/v1/secret.route', 200, { success: true }))).toMatch(/is in the OpenAPI document, yet the answer is not a refusal/);
  });
});
