import type { Express, Request } from 'express';

const PARSED = Symbol('parsed query');

type WithParsedQuery = Request & { [PARSED]?: unknown };

/**
 * Express 5's `req.query` is a getter that parses the URL and its query string again on every read, and a
 * request reads it several times (validation, update_presence, the handler). This app's requests parse the query
 * once, with `parse`, and keep the result; validation may replace it (`req.query = …`) like any property. The
 * query is read straight from the URL: Express would run the whole URL through parseurl again, the router having
 * changed it on the way in.
 *
 * Done on the app's request prototype rather than by defining `query` on each request: an own property named like
 * an accessor of the prototype gives every request object a hidden class of its own (a kilobyte each, kept by an
 * open stream for hours).
 */
export function parseQueryOnce(app: Express, parse: (text: string) => Record<string, unknown>): void {
  Object.defineProperty(app.request, 'query', {
    configurable: true,
    enumerable: true,
    get(this: WithParsedQuery): unknown {
      const cached = this[PARSED];
      if (cached !== undefined) return cached;
      const url = this.url;
      const start = url.indexOf('?');
      const end = url.indexOf('#', start);
      const parsed = parse(start === -1 ? '' : url.slice(start + 1, end === -1 ? undefined : end));
      this[PARSED] = parsed;
      return parsed;
    },
    set(this: WithParsedQuery, value: unknown) {
      this[PARSED] = value;
    },
  });
}
