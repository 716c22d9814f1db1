import type { Request, RequestHandler, Response, Router } from 'express';
import { query } from 'express-validator';
import type { AccountService } from '../../domain/services/accountService';
import { detachedString } from '../../utils';
import { StreamsUnavailableError } from '../../domain/errors';
import type { PresenceStreams } from '../../domain/services/presenceStreams';
import { identityOf } from '../middleware/authenticate';
import { rocketChatSuccess } from '../responses/rocketChat';
import { ServerSentEvents, SSE_HEADERS, type SseOptions } from '../stream/serverSentEvents';
import { optionalString, parseIds, rejectInvalid, streamIdsParam, whenGiven } from '../validation/params';
import { CURSOR_MAX } from '../validation/limits';

export interface StreamRouteOptions extends SseOptions {
  ticketTtlMs: number;
}

/** The cursor to resume after: the Last-Event-ID header an EventSource sends, else the `lastEventId` parameter. */
function lastEventIdOf(req: Request): string | undefined {
  const header = req.headers['last-event-id'];
  if (typeof header === 'string' && header !== '') return header.slice(0, CURSOR_MAX);
  return req.query.lastEventId as string | undefined;
}

/**
 * What the request parsed to open a stream (the query with up to 500 ids, the URL holding them, the validators'
 * records, the router's continuation), let go once the stream is open: a stream holds its request for hours,
 * and each of these is kilobytes. What the request's log line and metrics need at its end (method, path, route,
 * request id) stays.
 */
function releaseOpenedRequest(req: Request): void {
  const open = req as Request & Record<string, unknown>;
  const path = detachedString(req.originalUrl.split('?', 1)[0]);
  req.originalUrl = path;
  req.url = path;
  req.query = {};
  // Where express-validator keeps its records of a request's checks.
  open['express-validator#contexts'] = undefined;
  open._parsedUrl = undefined;
  open._parsedOriginalUrl = undefined;
  open.next = undefined;
}

/** A refusal for want of room (or of a future: shutdown) says when to come back: when an EventSource would. */
function withRetryAfter(error: unknown, res: Response, retryMs: number): never {
  if (error instanceof StreamsUnavailableError) res.setHeader('Retry-After', String(Math.max(1, Math.ceil(retryMs / 1000))));
  throw error;
}

/**
 * users.presence.stream (Server-Sent Events) and the ticket a browser opens it with, on the Rocket.Chat router.
 * `streamAuth` accepts a stream ticket besides the login headers: `before` validation it checks the credentials'
 * shape (and login tokens), `after` it redeems a ticket, so a refused request does not spend one. Returns the
 * stream's chain for the hot lane, which opens thousands of streams without walking the router for each.
 */
export function addPresenceStreamRoutes(
  router: Router,
  auth: RequestHandler[],
  streamAuth: { before: RequestHandler; after: RequestHandler[] },
  accounts: AccountService,
  streams: PresenceStreams,
  options: StreamRouteOptions,
): { openStream: RequestHandler[] } {
  router.post('/users.presence.stream.ticket', ...auth, async (req: Request, res: Response) => {
    const { ticket, expiresAt } = await accounts.issueStreamTicket(identityOf(res), options.ticketTtlMs);
    rocketChatSuccess(req, res, { ticket, expiresAt: expiresAt.toISOString() });
  });

  const lastEventIdParam = whenGiven('query', 'lastEventId', optionalString(query, 'lastEventId', CURSOR_MAX));

  // HEAD says at once what a GET would get, opening nothing. Only the login headers: a ticket is not spent on it.
  router.head('/users.presence.stream', ...auth, streamIdsParam, lastEventIdParam, rejectInvalid, (_req: Request, res: Response) => {
    try {
      streams.admits(identityOf(res).userId);
    } catch (error) {
      withRetryAfter(error, res, options.retryMs);
    }
    res.writeHead(200, SSE_HEADERS).end();
  });

  const openStream: RequestHandler[] = [
    streamAuth.before,
    streamIdsParam,
    lastEventIdParam,
    rejectInvalid,
    ...streamAuth.after,
    async (req: Request, res: Response) => {
      const ids = req.query.ids === undefined ? undefined : parseIds(req.query.ids);
      let gone = false;
      res.on('close', () => {
        gone = true;
      });
      const sink = new ServerSentEvents(res, options);
      const stop = await streams.open(identityOf(res), ids, lastEventIdOf(req), sink).catch((error: unknown) => withRetryAfter(error, res, options.retryMs));
      // The client may have left while the snapshot was read.
      if (gone) return stop();
      res.on('close', stop);
      sink.begin();
      releaseOpenedRequest(req);
    },
  ];
  router.get('/users.presence.stream', ...openStream);
  return { openStream };
}
