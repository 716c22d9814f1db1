import { etagMatches, etagOf } from '../../src/http/responses/etag';

describe('etag', () => {
  const tag = etagOf('{"a":1}');
  it('is a strong tag that depends on the bytes', () => {
    expect(tag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(etagOf('{"a":2}')).not.toBe(tag);
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
