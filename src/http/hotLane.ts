import type { ErrorRequestHandler, Express, NextFunction, Request, RequestHandler, Response } from 'express';

/** Whether a request carries a body: Content-Length above 0, or a chunked one. */
function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/** One route of the hot lane. */
export interface HotRoute {
  /**
   * A GET is taken only without a body (one with a body is parsed, and refused or ignored, by the generic chain). A
   * POST's body goes through the lane's `bodyParsers` first, as on the generic chain.
   */
  method: 'GET' | 'POST';
  /** The route's template, as Express would name it (the metrics' and log lines' route label). */
  template: string;
  /**
   * The path parameters of a path (the URL before its query) this route answers, or undefined. It takes only the
   * spellings it can read as Express would, exactly; any other (another case, a trailing slash, percent-encoding)
   * is left to the generic chain, which routes it to the same handlers.
   */
  match(path: string): Record<string, string> | undefined;
  /** What the route runs once routed: authentication, checks, the handler. */
  chain: readonly RequestHandler[];
}

/** `/api/v1/users.presence`, only so spelled. */
export function exactPath(template: string): HotRoute['match'] {
  return (path) => (path === template ? {} : undefined);
}

/** What a parameter may hold here: unreserved characters only, which the router neither decodes nor cuts. */
const PLAIN_SEGMENT = /^[A-Za-z0-9._~-]+$/;

/**
 * A template with one parameter segment (`/v0/users/:user_id/presence`): the segment, when it is PLAIN_SEGMENT
 * (no `%` to decode, no `#` the router would cut the path at), so the value is the one the router would give.
 */
export function oneParamPath(template: string): HotRoute['match'] {
  const match = /^(.*\/):(\w+)(\/.*)$/.exec(template);
  if (match === null) throw new Error(`not a template with one parameter: ${template}`);
  const [, before, name, after] = match;
  return (path) => {
    if (!path.startsWith(before) || !path.endsWith(after) || path.length <= before.length + after.length) return undefined;
    const value = path.slice(before.length, path.length - after.length);
    return PLAIN_SEGMENT.test(value) ? { [name]: value } : undefined;
  };
}

export interface HotLane {
  /** Runs first on every hot request, as on every request: the request observer. */
  observe: RequestHandler;
  /** The API's headers (security, CORS), as the generic chain sets them before any router. */
  headers: readonly RequestHandler[];
  /** The generic chain's body parsers and body-shape check (the same instances), before a POST route is routed. */
  bodyParsers: readonly RequestHandler[];
  routes: readonly HotRoute[];
  /** Past the chain's end: what the generic chain would run there (the 404). */
  notFound: RequestHandler;
  /** Where a failure becomes an answer, as on the generic chain. */
  errorHandler: ErrorRequestHandler;
}

/** A promise's failure, or a throw, goes to `next`, as Express 5's router passes them on. */
function invoke(handler: RequestHandler, req: Request, res: Response, next: NextFunction): void {
  try {
    const returned: unknown = handler(req, res, next);
    if (returned instanceof Promise) returned.then(undefined, (error: unknown) => next(error ?? new Error('Rejected promise')));
  } catch (error) {
    next(error);
  }
}

/** A route ready to run: its handlers from the observer to the 404, the route marked routed where the router would. */
interface PreparedRoute {
  method: HotRoute['method'];
  match: HotRoute['match'];
  handlers: readonly RequestHandler[];
}

/** Runs a route's handlers in order, as the router would; a failure skips to the error handler. */
function runRoute(lane: HotLane, { handlers }: PreparedRoute, req: Request, res: Response): void {
  let index = 0;
  let failed = false;
  const next: NextFunction = (error?: unknown) => {
    if (failed) return;
    if (error !== undefined && error !== null) {
      failed = true;
      try {
        lane.errorHandler(error, req, res, next);
      } catch (handlerError) {
        res.destroy(handlerError as Error);
      }
      return;
    }
    const handler = handlers[index];
    index += 1;
    invoke(handler, req, res, next);
  };
  // The URL as sent (the API's wording, the logged path), as Express's app sets it. Not what only routers read
  // (`baseUrl`, `next`): each property added to a request costs on every poll (each of these was about 0.4 % of an
  // ids poll in the profile).
  req.originalUrl = req.url;
  next();
}

/**
 * What the router leaves on a request it routes that the handlers read: the route, whose template is the metrics'
 * and log lines' label. Set where the router would set it: after the headers and body parsers, so a body refused
 * there is `unmatched` on both lanes.
 */
function routed(route: { readonly path: string }): RequestHandler {
  return (req, _res, next) => {
    req.route = route;
    next();
  };
}

/**
 * The hot lane: the GETs every client repeats every few seconds (users.presence in all its forms, pnut's presence
 * of one user with `update_presence`), the stream an instance opens by the thousand after a restart, and the status
 * change every stream fans out (users.setStatus) are answered before Express's router, which walked a dozen layers
 * and their path matching for each (about a tenth of a poll, docs/benchmarks.md). Such a request still gets all a client can
 * see of the generic chain: the app's request and response objects (the same prototypes, `res.locals`), the request
 * observer (id, histogram, log line), the API's headers (security, CORS), authentication, `update_presence`, the
 * route's checks (as plain functions that refuse exactly as its validation chains) and its handler; a failure goes
 * to the app's error handler. Anything else takes Express's router: another method, a GET with a body (parsed and
 * refused or ignored there), a path spelled otherwise.
 */
export function addHotLane(app: Express, lane: HotLane): void {
  // Express's app function calls `app.handle` for every request: the lane takes its place, and hands the rest on.
  const handled = app as unknown as { handle: (req: Request, res: Response, callback?: NextFunction) => void };
  const generic = handled.handle.bind(app);
  const prepared: PreparedRoute[] = lane.routes.map(({ method, template, match, chain }) => ({
    method,
    match,
    handlers: [lane.observe, ...lane.headers, ...(method === 'POST' ? lane.bodyParsers : []), routed(Object.freeze({ path: template })), ...chain, lane.notFound],
  }));
  const handle = (req: Request, res: Response, callback?: NextFunction): void => {
    const method = req.method;
    if (callback === undefined && ((method === 'GET' && !hasBody(req)) || method === 'POST')) {
      const url = req.url;
      const queryAt = url.indexOf('?');
      const path = queryAt === -1 ? url : url.slice(0, queryAt);
      for (const route of prepared) {
        if (route.method !== method) continue;
        const params = route.match(path);
        if (params === undefined) continue;
        req.res = res;
        res.req = req;
        Object.setPrototypeOf(req, app.request);
        Object.setPrototypeOf(res, app.response);
        if (res.locals === undefined) res.locals = Object.create(null) as Response['locals'];
        req.params = params;
        runRoute(lane, route, req, res);
        return;
      }
    }
    generic(req, res, callback);
  };
  handled.handle = handle;
}
