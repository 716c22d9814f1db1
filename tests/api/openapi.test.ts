import request from 'supertest';
import openApiDocument from '../../src/http/openapi/openapi.json';
import { storeKinds } from '../support/stores';
import { buildTestApp, type TestApp } from '../support/testApp';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

describe('GET /api/openapi.json', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp(storeKinds()[0]);
  });
  afterAll(() => t.close());

  it('serves the OpenAPI 3.1 document kept in the repository, without authentication', async () => {
    const res = await request(t.app).get('/api/openapi.json').expect(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body).toEqual(openApiDocument);
    expect(res.body.openapi).toMatch(/^3\.1\./);
    expect(Object.keys(res.body.components.securitySchemes)).toEqual(expect.arrayContaining(['rocketChatUserId', 'rocketChatAuthToken', 'bearer']));
  });

  // Each documented operation exists: an unknown route is a 404 whoever asks, so any other answer to an
  // unauthenticated call (401, 200, 400…) proves the route is served. The answer is checked against the document too.
  const operations = Object.entries(openApiDocument.paths as Record<string, Record<string, unknown>>)
    .flatMap(([template, item]) => Object.keys(item).filter((key) => METHODS.includes(key)).map((method) => [method, template] as const));

  it.each(operations)('%s %s is served', async (method, template) => {
    const path = template.replace(/\{[^}]+\}/g, 'me');
    const res = await (request(t.app) as unknown as Record<string, (path: string) => request.Test>)[method](path);
    expect({ path, status: res.status }).not.toEqual({ path, status: 404 });
  });
});
