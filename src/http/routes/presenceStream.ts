import type { Request, RequestHandler, Response, Router } from 'express';
import { query } from 'express-validator';
import type { AccountService } from '../../domain/accountService';
import type { PresenceStreams } from '../../domain/presenceStreams';
import { identityOf } from '../middleware/authenticate';
import { rocketChatSuccess } from '../responses/rocketChat';
import { ServerSentEvents, type SseOptions } from '../stream/serverSentEvents';
import { rejectInvalid } from '../validation/rejectInvalid';
import { optionalString, parseIds, streamIdsParam, whenGiven } from '../validation/params';

export interface StreamRouteOptions extends SseOptions {
  ticketTtlMs: number;
}

const CURSOR_MAX = 64;

/** The cursor to resume after: the Last-Event-ID header an EventSource sends, else the `lastEventId` parameter. */
function lastEventIdOf(req: Request): string | undefined {
  const header = req.headers['last-event-id'];
  if (typeof header === 'string' && header !== '') return header.slice(0, CURSOR_MAX);
  return req.query.lastEventId as string | undefined;
}

/**
 * users.presence.stream (Server-Sent Events) and the ticket a browser opens it with, on the Rocket.Chat router.
 * `streamAuth` accepts a stream ticket besides the login headers: `before` validation it checks the credentials'
 * shape (and login tokens), `after` it redeems a ticket, so a refused request does not spend one.
 */
export function addPresenceStreamRoutes(
  router: Router,
  auth: RequestHandler[],
  streamAuth: { before: RequestHandler; after: RequestHandler[] },
  accounts: AccountService,
  streams: PresenceStreams,
  options: StreamRouteOptions,
): void {
  router.post('/users.presence.stream.ticket', ...auth, async (req: Request, res: Response) => {
    const { ticket, expiresAt } = await accounts.issueStreamTicket(identityOf(res), options.ticketTtlMs);
    rocketChatSuccess(req, res, { ticket, expiresAt: expiresAt.toISOString() });
  });

  router.get(
    '/users.presence.stream',
    streamAuth.before,
    streamIdsParam,
    whenGiven('query', 'lastEventId', optionalString(query, 'lastEventId', CURSOR_MAX)),
    rejectInvalid,
    ...streamAuth.after,
    async (req: Request, res: Response) => {
      const ids = req.query.ids === undefined ? undefined : parseIds(req.query.ids);
      let gone = false;
      res.on('close', () => {
        gone = true;
      });
      const sink = new ServerSentEvents(res, options);
      const stop = await streams.open(identityOf(res), ids, lastEventIdOf(req), sink);
      // The client may have left while the snapshot was read.
      if (gone) return stop();
      res.on('close', stop);
      sink.begin();
    },
  );
}
