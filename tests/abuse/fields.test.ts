import type request from 'supertest';
import { describeEachStore } from '../support/testApp';
import {
  callWith,
  check,
  ENDPOINTS,
  Findings,
  invalidParam,
  send,
  splitParams,
  type Ctx,
  type Endpoint,
  type Expected,
  type Field,
  withAbuseCtx,
} from './support/abuseKit';

/**
 * Malformed input in every parameter of every endpoint. Each field gets: every JSON type that is not a string,
 * MongoDB operators, strings one character too long and huge, odd but well-formed strings (control characters,
 * Unicode, injection text), the empty string, and — in forms and query strings — operator keys, nested keys and
 * repeated parameters. Every answer must be what `Field` says (a 4xx in the API's shape for garbage), and the
 * service must keep serving afterwards.
 */

/** JSON values that are not strings: every parameter of both APIs is a string (expiration may be a number). */
const NON_STRINGS: [string, (valid: string) => unknown][] = [
  ['number', () => 1],
  ['zero', () => 0],
  ['negative number', () => -1],
  ['fraction', () => 1.5],
  ['huge number', () => 1e308],
  ['true', () => true],
  ['false', () => false],
  ['null', () => null],
  ['empty array', () => []],
  ['array', (valid) => [valid]],
  ['array of two', (valid) => [valid, valid]],
  ['empty object', () => ({})],
  ['{$gt: ""}', () => ({ $gt: '' })],
  ['{$ne: null}', () => ({ $ne: null })],
  ['{$regex: ".*"}', () => ({ $regex: '.*' })],
  ['{$where: ...}', () => ({ $where: 'sleep(1000) || true' })],
  ['{$in: [...]}', (valid) => ({ $in: [valid] })],
  ['{$exists: true}', () => ({ $exists: true })],
  ['{$expr: ...}', () => ({ $expr: { $eq: [1, 1] } })],
  ['[{$gt: ""}]', () => [{ $gt: '' }]],
  ['nested object', () => ({ a: { b: { c: 'd' } } })],
];

/**
 * Well-formed strings nobody should send, at most 64 characters (so length limits do not decide) and each with a
 * character outside [0-9a-zA-Z._-] (so none is a valid username or id by accident).
 */
const ODD_STRINGS: [string, string][] = [
  ['control characters', '\u0000\u0001\u0007\u001b[31mred\u001b[0m\r\n\t\u007f'],
  ['Unicode', 'Zoë 😀 中文 עברית'],
  ['right-to-left override', 'abc\u202Etxt.exe'],
  ['zero-width characters', 'a\u200Bb\uFEFFc'],
  ['combining marks', 'e\u0301\u0301\u0301\u0301'],
  ['SQL injection', "'; DROP TABLE users; --"],
  ['HTML', '<script>alert(1)</script>'],
  ['template injection', '${7*7}{{7*7}}#{7*7}'],
  ['path traversal', '../../etc/passwd'],
  ['operator as text', '$gt'],
  ['$where as text', '$where: sleep(5000)'],
  ['JSON as text', '{"$gt":""}'],
  ['impossible date as text', '2026-02-30T12:00:00Z'],
  ['header injection', 'a\r\nSet-Cookie: x=1'],
  ['percent escapes as text', '%00%ZZ%'],
];

/**
 * A lone surrogate is not Unicode and cannot be written as UTF-8 (MongoDB would store U+FFFD instead): every string
 * parameter refuses it with 400 naming the parameter, before anything looks it up; one that must match a pattern
 * may say so instead.
 */
const LONE_SURROGATE = 'x\uD800y';
const loneSurrogateExpected = (endpoint: Endpoint, field: Field): Expected =>
  (field.odd === 400 ? 400 : invalidParam(endpoint.api, field.name, 'must be valid Unicode text'));

interface Case {
  label: string;
  expected: Expected;
  send(): request.Test;
}

function sampleOf(ctx: Ctx, endpoint: Endpoint, field: Field): string {
  return field.sample?.(ctx) ?? endpoint.valid(ctx)[field.name];
}

/** Percent-encodes like a browser would, but keeps a lone surrogate as the invalid UTF-8 bytes a raw client sends. */
function encode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return value.split('').map((char) => {
      try {
        return encodeURIComponent(char);
      } catch {
        return '%ED%A0%80';
      }
    }).join('');
  }
}

function tooLong(field: Field): string {
  if (field.list) return Array.from({ length: 501 }, (_, i) => `id${i}`).join(',');
  return 'x'.repeat(field.maxLength + 1);
}

function bodyCases(ctx: Ctx, endpoint: Endpoint, field: Field): Case[] {
  const valid = sampleOf(ctx, endpoint, field);
  const dropped = Object.fromEntries((field.without ?? []).map((name) => [name, undefined]));
  const withValue = (value: unknown) => () => callWith(ctx, endpoint, { ...dropped, [field.name]: value });
  const cases: Case[] = [
    ...NON_STRINGS.map(([label, make]): Case => ({ label: `JSON ${label}`, expected: 400, send: withValue(make(valid)) })),
    { label: 'one character too long', expected: 400, send: withValue(tooLong(field)) },
    { label: 'huge (15 000 characters)', expected: 400, send: withValue('h'.repeat(15000)) },
    ...ODD_STRINGS.map(([label, value]): Case => ({ label, expected: field.odd, send: withValue(value) })),
    { label: 'lone surrogate', expected: loneSurrogateExpected(endpoint, field), send: withValue(LONE_SURROGATE) },
    { label: 'missing', expected: field.missing, send: withValue(undefined) },
  ];
  if (field.empty !== null) cases.push({ label: 'empty string', expected: field.empty, send: withValue('') });

  // The same through a form: extended:false parsing keeps `field[$ne]` as a key of its own, so the field is
  // simply missing; a repeated key is a list, which no field accepts.
  const form = (extra: string) => () => {
    const params = { ...endpoint.valid(ctx) };
    for (const name of [field.name, ...(field.without ?? [])]) delete params[name];
    const { query, body } = splitParams(endpoint, params);
    const formBody = [new URLSearchParams(body as Record<string, string>).toString(), extra].filter((part) => part !== '').join('&');
    return send(ctx, endpoint, { rawQuery: query, contentType: 'application/x-www-form-urlencoded', body: formBody });
  };
  const name = field.name;
  cases.push(
    { label: 'form operator key', expected: field.missing, send: form(`${name}%5B%24ne%5D=x`) },
    { label: 'form repeated', expected: 400, send: form(`${name}=${encode(valid)}&${name}=${encode(valid)}`) },
    { label: 'form one character too long', expected: 400, send: form(`${name}=${encode(tooLong(field))}`) },
    ...ODD_STRINGS.map(([label, value]): Case => ({ label: `form ${label}`, expected: field.odd, send: form(`${name}=${encode(value)}`) })),
  );
  return cases;
}

function queryCases(ctx: Ctx, endpoint: Endpoint, field: Field): Case[] {
  const valid = sampleOf(ctx, endpoint, field);
  const name = field.name;
  const dropped = Object.fromEntries((field.without ?? []).map((other) => [other, undefined]));
  const raw = (query: string) => () => callWith(ctx, endpoint, { ...dropped, [name]: undefined }, query);
  // qs (Rocket.Chat's parser) turns brackets into arrays and objects: objects are refused everywhere; arrays
  // are the normal form of `ids` and refused elsewhere.
  const list: Expected = field.list ? 200 : 400;
  const cases: Case[] = [
    { label: '[$gt]=', expected: 400, send: raw(`${name}%5B%24gt%5D=`) },
    { label: '[$ne]=', expected: 400, send: raw(`${name}[$ne]=${encode(valid)}`) },
    { label: '[$regex]=', expected: 400, send: raw(`${name}[$regex]=.*`) },
    { label: '[$where]=', expected: 400, send: raw(`${name}[$where]=sleep(1000)`) },
    { label: 'nested keys', expected: 400, send: raw(`${name}[a][b][c][d]=e`) },
    { label: 'index beyond the array limit', expected: 400, send: raw(`${name}[1000]=${encode(valid)}`) },
    { label: '[0][$gt]=', expected: 400, send: raw(`${name}[0][$gt]=`) },
    { label: '[]=', expected: list, send: raw(`${name}[]=${encode(valid)}`) },
    { label: 'repeated', expected: list, send: raw(`${name}=${encode(valid)}&${name}=${encode(valid)}`) },
    { label: '[0]=', expected: list, send: raw(`${name}[0]=${encode(valid)}`) },
    { label: 'one character too long', expected: 400, send: raw(`${name}=${encode(tooLong(field))}`) },
    { label: 'huge (8 000 characters)', expected: 400, send: raw(`${name}=${'h'.repeat(8000)}`) },
    { label: 'bad percent escapes', expected: field.odd, send: raw(`${name}=%E0%A4%A%`) },
    // Invalid UTF-8 (an encoded lone surrogate): decoded to U+FFFD or kept as text; an odd string either way.
    { label: 'invalid UTF-8', expected: field.odd, send: raw(`${name}=x%ED%A0%80y`) },
    ...ODD_STRINGS.map(([label, value]): Case => ({ label, expected: field.odd, send: raw(`${name}=${encode(value)}`) })),
    { label: 'missing', expected: field.missing, send: raw('') },
  ];
  if (field.empty !== null) cases.push({ label: 'empty string', expected: field.empty, send: raw(`${name}=`) });
  return cases;
}

const FIELD_TABLE: [string, string, Endpoint, Field][] = ENDPOINTS.flatMap((endpoint) =>
  endpoint.fields.map((field): [string, string, Endpoint, Field] => [endpoint.name, `${field.name} (${field.where})`, endpoint, field]),
);

// Logins and users.create run bcrypt on every accepted case.
jest.setTimeout(60000);

describeEachStore('malformed parameters', (kind) => {
  let ctx: Ctx;
  withAbuseCtx(kind, (built) => (ctx = built));

  it.each(ENDPOINTS.map((endpoint): [string, Endpoint] => [endpoint.name, endpoint]))('%s: its valid call succeeds (the baseline)', async (_name, endpoint) => {
    const res = await callWith(ctx, endpoint, {});
    const failure = check(endpoint.api, 'valid call', res, 200);
    expect(failure).toBeUndefined();
  });

  it.each(FIELD_TABLE)('%s: %s', async (_endpoint, _field, endpoint, field) => {
    const findings = new Findings();
    const cases = field.where === 'body' ? bodyCases(ctx, endpoint, field) : queryCases(ctx, endpoint, field);
    for (const item of cases) findings.add(check(endpoint.api, item.label, await item.send(), item.expected));
    expect(findings.lines).toEqual([]);
  });
});
