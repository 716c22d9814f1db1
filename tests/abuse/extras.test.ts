import { describeEachStore } from '../support/testApp';
import {
  AUTHENTICATED,
  check,
  ENDPOINTS,
  Findings,
  freshCaller,
  sendValid,
  type Ctx,
  type Endpoint,
  withAbuseCtx,
} from './support/abuseKit';

/**
 * Parameters nobody asked for. Unknown parameters are ignored, as Rocket.Chat ignores them: a valid call with
 * extra junk (operators included) is still that valid call, and the junk never reaches a query. And pnut's
 * `update_presence`, accepted on every authenticated call of both APIs: a bad value never fails the call; it only
 * reports `updated_presence: false` (pnut's meta, or the X-Updated-Presence header on Rocket.Chat).
 */

const JUNK_QUERY = 'foo%5B%24gt%5D=1&bar=1&bar=2&%24where=sleep(1000)&constructor=x&toString=y&a[b][c][d][e][f]=g';
const JUNK_BODY = { $where: 'sleep(1000)', foo: { $gt: '' }, constructor: 'x', toString: 'y', hasOwnProperty: 'z', deep: { a: [{ $ne: null }] } };

describeEachStore('unknown and extra parameters', (kind) => {
  let ctx: Ctx;
  withAbuseCtx(kind, (built) => (ctx = built));

  const call = (endpoint: Endpoint, extraQuery: string, extraBody: Record<string, unknown> = {}) => sendValid(ctx, endpoint, { query: extraQuery, body: extraBody });

  it.each(ENDPOINTS.map((endpoint): [string, Endpoint] => [endpoint.name, endpoint]))('%s: junk parameters are ignored', async (_name, endpoint) => {
    await freshCaller(ctx);
    expect(check(endpoint.api, 'junk in the query', await call(endpoint, JUNK_QUERY), 200)).toBeUndefined();
    if (endpoint.method !== 'get') {
      await freshCaller(ctx);
      expect(check(endpoint.api, 'junk in the body', await call(endpoint, '', JUNK_BODY), 200)).toBeUndefined();
    }
  });

  const BAD_UPDATE_PRESENCE: [string, string][] = [
    ['an operator', 'update_presence%5B%24gt%5D='],
    ['repeated', 'update_presence=online&update_presence=away'],
    ['an array', 'update_presence[]=online'],
    ['nested keys', 'update_presence[a][b]=c'],
    ['101 code points', `update_presence=${encodeURIComponent('😀'.repeat(101))}`],
    ['8 000 characters', `update_presence=${'u'.repeat(8000)}`],
  ];

  it.each(AUTHENTICATED.map((endpoint): [string, Endpoint] => [endpoint.name, endpoint]))(
    '%s: a bad update_presence does not fail the call and reports false',
    async (_name, endpoint) => {
      const findings = new Findings();
      for (const [label, query] of BAD_UPDATE_PRESENCE) {
        await freshCaller(ctx);
        const res = await call(endpoint, query);
        findings.add(check(endpoint.api, label, res, 200));
        const updated = endpoint.api === 'pnut' ? (res.json<{ meta: { updated_presence?: boolean } }>().meta?.updated_presence) : res.headers['x-updated-presence'];
        if (res.status === 200 && updated !== false && updated !== 'false') findings.add(`${label}: updated_presence is ${String(updated)}, expected false`);
        // The caller's presence was not set by it (the pnut PUT sets its own, which is the call's job).
        if (!endpoint.name.startsWith('PUT') && !endpoint.name.includes('setStatus') && !endpoint.name.includes('logout')) {
          const stored = await ctx.t.store.findUserById(ctx.me.user.id);
          if (stored?.presenceExpiresAt !== null) findings.add(`${label}: the caller's presence was changed`);
        }
      }
      await freshCaller(ctx);
      const good = await call(endpoint, 'update_presence=online');
      findings.add(check(endpoint.api, 'a valid update_presence', good, 200));
      expect(findings.lines).toEqual([]);
    },
  );
});
