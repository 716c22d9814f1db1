import type { Express, Request } from 'express';

const PARSED = Symbol('parsed query');

type WithParsedQuery = Request & { [PARSED]?: unknown };

/**
 * Express 5's `req.query` is a getter that parses the query string again on every read, and a request reads it
 * several times (validation, update_presence, the handler). This app's requests parse it once, with the app's
 * own parser, and keep the result; validation may replace it (`req.query = …`) like any property.
 *
 * Done on the app's request prototype rather than by defining `query` on each request: an own property named like
 * an accessor of the prototype gives every request object its own hidden class, which costs each request (and
 * each open stream, for hours) a kilobyte and makes every later property read on it slower.
 */
export function parseQueryOnce(app: Express): void {
  const expressQuery = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(app.request), 'query')?.get;
  if (expressQuery === undefined) throw new Error("Express's request has no query getter to cache");
  Object.defineProperty(app.request, 'query', {
    configurable: true,
    enumerable: true,
    get(this: WithParsedQuery): unknown {
      if (!(PARSED in this)) this[PARSED] = expressQuery.call(this);
      return this[PARSED];
    },
    set(this: WithParsedQuery, value: unknown) {
      this[PARSED] = value;
    },
  });
}
