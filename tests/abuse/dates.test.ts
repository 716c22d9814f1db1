import request from 'supertest';
import { describeEachStore } from '../support/testApp';
import { check, Findings, type Ctx, withAbuseCtx } from './support/abuseKit';

/**
 * Dates: users.presence's `from` (ISO 8601) and pnut's `expiration` (Unix seconds). Impossible dates and times,
 * impossible offsets and things that are not dates at all are refused with 400; odd but valid ones are served.
 * The test clock is set to 2026-01-15T12:00:00Z, which the dates below are written around.
 */
const TEST_NOW = '2026-01-15T12:00:00.000Z';

const IMPOSSIBLE_FROM: [string, string][] = [
  ['30 February', '2026-02-30T12:00:00Z'],
  ['29 February in a common year', '2026-02-29T00:00:00Z'],
  ['month 13', '2026-13-01T00:00:00Z'],
  ['month 0', '2026-00-10T00:00:00Z'],
  ['day 32', '2026-01-32T00:00:00Z'],
  ['day 0', '2026-01-00T00:00:00Z'],
  ['hour 25', '2026-01-15T25:00:00Z'],
  ['minute 60', '2026-01-15T12:60:00Z'],
  ['second 61', '2026-01-15T12:00:61Z'],
  ['offset +25:00', '2026-01-15T12:00:00+25:00'],
  ['offset minute 60', '2026-01-15T12:00:00+14:60'],
  ['offset +99:99', '2026-01-15T12:00:00+99:99'],
  ['all zeros', '0000-00-00T00:00:00Z'],
  ['all nines', '9999-99-99T99:99:99Z'],
  ['date only', '2026-01-15'],
  ['time only', 'T12:00:00Z'],
  ['Unix seconds', '1768478400'],
  ['Unix milliseconds', '1768478400000'],
  ['RFC 1123', 'Thu, 15 Jan 2026 12:00:00 GMT'],
  ['"now"', 'now'],
  ['double zone', '2026-01-15T12:00:00ZZ'],
  ['trailing junk', '2026-01-15T12:00:00Zjunk'],
  ['NUL suffix', '2026-01-15T12:00:00Z\u0000'],
  ['leading space', ' 2026-01-15T12:00:00Z'],
  ['empty fraction', '2026-01-15T12:00:00.Z'],
  ['negative year', '-2026-01-15T12:00:00Z'],
  ['six-digit year', '+275760-09-13T00:00:00Z'],
  ['beyond Date range', '275760-09-14T00:00:00Z'],
  ['operator text', '$gt'],
];

/** Unusual but valid: Rocket.Chat documents timezone, seconds and milliseconds as optional. */
const ODD_BUT_VALID_FROM: [string, string, boolean | undefined][] = [
  ['no seconds, no zone (read as UTC)', '2026-01-15T11:59', false],
  ['minutes only with zone', '2026-01-15T11:59Z', false],
  ['a zone offset', '2026-01-15T13:59:00+02:00', false],
  ['negative zero offset', '2026-01-15T11:59:00-00:00', false],
  ['microseconds', '2026-01-15T11:59:00.123456Z', false],
  // A client clock running ahead asks from the server's future: a delta with nothing in it yet.
  ['the future', '2026-01-15T12:05:00Z', false],
  ['far future', '9999-12-31T23:59:59Z', false],
  // 10 minutes or more ago: the full list.
  ['the epoch', '1970-01-01T00:00:00Z', true],
  ['11 minutes ago', '2026-01-15T11:49:00Z', true],
];

describeEachStore('dates', (kind) => {
  let ctx: Ctx;
  withAbuseCtx(kind, (built) => {
    ctx = built;
    ctx.t.clock.set(TEST_NOW);
  });

  const presence = (from: string) => request(ctx.server.server).get(`/api/v1/users.presence?from=${encodeURIComponent(from)}`).set(ctx.me.headers);

  it('users.presence refuses an impossible or malformed `from` with 400 naming it', async () => {
    const findings = new Findings();
    for (const [label, from] of IMPOSSIBLE_FROM) {
      const res = await presence(from);
      findings.add(check('rocketchat', `${label} (${JSON.stringify(from)})`, res, 400));
      if (res.status === 400) findings.add(/"from"/.test(String(res.body.error)) ? undefined : `${label}: the error does not name "from": ${res.text}`);
    }
    expect(findings.lines).toEqual([]);
  });

  it('users.presence serves an odd but valid `from`', async () => {
    const findings = new Findings();
    for (const [label, from, full] of ODD_BUT_VALID_FROM) {
      const res = await presence(from);
      findings.add(check('rocketchat', label, res, 200));
      if (res.status === 200 && full !== undefined && res.body.full !== full) findings.add(`${label}: full is ${res.body.full}, expected ${full}`);
    }
    expect(findings.lines).toEqual([]);
  });

  const nowSeconds = () => Math.floor(ctx.t.clock.now().getTime() / 1000);

  it('pnut refuses an impossible `expiration` with 400, in the body and in the query', async () => {
    const bad: [string, unknown][] = [
      ['ISO date', '2026-02-30T12:00:00Z'],
      ['valid ISO date (not Unix seconds)', '2026-01-16T12:00:00Z'],
      ['exponent', '1e9'],
      ['negative', '-1'],
      ['zero', '0'],
      ['fraction', `${nowSeconds() + 60}.5`],
      ['hex', '0x7fffffff'],
      ['Infinity', 'Infinity'],
      ['NaN', 'NaN'],
      ['20 digits', '99999999999999999999'],
      ['trailing space', `${nowSeconds() + 60} `],
      ['in the past', String(nowSeconds() - 1)],
      ['now', String(nowSeconds())],
      ['more than 7 days ahead', String(nowSeconds() + 7 * 86400 + 1)],
      ['milliseconds instead of seconds', String((nowSeconds() + 60) * 1000)],
      ['JSON number, fractional', nowSeconds() + 60.5],
      ['JSON number, negative', -5],
      ['JSON number, huge', 1e21],
      ['JSON number, past', 1000],
    ];
    const findings = new Findings();
    for (const [label, value] of bad) {
      const body = await request(ctx.server.server).put('/v0/users/me/presence').set(ctx.me.bearer).send({ presence: 'x', expiration: value });
      findings.add(check('pnut', `body: ${label}`, body, 400));
      if (typeof value === 'string') {
        const query = await request(ctx.server.server).put(`/v0/users/me/presence?presence=x&expiration=${encodeURIComponent(value)}`).set(ctx.me.bearer).send({});
        findings.add(check('pnut', `query: ${label}`, query, 400));
      }
    }
    expect(findings.lines).toEqual([]);
    // Nothing of the above was applied.
    expect((await ctx.t.store.findUserById(ctx.me.user.id))?.presenceText).toBeNull();
  });

  it('pnut accepts an expiration from a second ahead to exactly 7 days ahead, as a string or a JSON number', async () => {
    const findings = new Findings();
    for (const value of [String(nowSeconds() + 1), String(nowSeconds() + 7 * 86400), nowSeconds() + 3600]) {
      const res = await request(ctx.server.server).put('/v0/users/me/presence').set(ctx.me.bearer).send({ presence: 'x', expiration: value });
      findings.add(check('pnut', `expiration ${value}`, res, 200));
    }
    expect(findings.lines).toEqual([]);
  });
});
