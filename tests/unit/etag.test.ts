import { createHash } from 'node:crypto';
import { etagMatches, etagOf } from '../../src/http/responses/etag';

describe('etag', () => {
  const tag = etagOf('{"a":1}');
  it('is a strong tag that depends on the bytes', () => {
    // A quoted SHA-1 of the bytes, base64url: 27 characters.
    expect(tag).toBe(`"${createHash('sha1').update('{"a":1}').digest('base64url')}"`);
    expect(tag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(etagOf('{"a":2}')).toBe(`"${createHash('sha1').update('{"a":2}').digest('base64url')}"`);
  });
  it.each([
    [tag, true],
    [`W/${tag}`, true],
    [`"other", ${tag}`, true],
    ['*', true],
    ['"other"', false],
    [undefined, false],
  ])('If-None-Match %p matches: %p', (header, expected) => expect(etagMatches(header, tag)).toBe(expected));
});
