import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import { body, query } from 'express-validator';
import { effectiveStatus } from '../../domain/rules/status';
import { WordedRefusal } from '../responses/errorWording';
import type { UserReference } from '../../domain/rules/userNaming';
import type { PresenceService } from '../../domain/services/presenceService';
import type { ConnectionService } from '../../domain/services/connectionService';
import { CONNECTION_STATES, type ConnectionState } from '../../domain/ports/connections';
import type { PresenceReading } from '../../domain/ports/records';
import type { PresentSnapshot } from '../../domain/rules/changes';
import { identityOf } from '../middleware/authenticate';
import { etagOf } from '../responses/etag';
import { rocketChatSuccess, sendRocketChatJson } from '../responses/rocketChat';
import { checkSetStatusBody, checkUsersPresenceQuery, fromParam, idsParam, optionalString, parseIds, rejectInvalid, userIdParam } from '../validation/params';
import { CONNECTION_STATE_MAX, USERNAME_MAX } from '../validation/limits';
import { renderedPerSnapshot } from '../views/renderedPerSnapshot';
import { rocketChatPresenceUser, rocketChatPresenceUserJson } from '../views/rocketChatUser';

/** The cursor an answer is current to: a stream opened with it as Last-Event-ID, on any instance, misses nothing after it. */
export const PRESENCE_CURSOR_HEADER = 'X-Presence-Cursor';

/** The full list as bytes with its ETag: converting a large string to UTF-8 on every answer would cost more than the rest. */
function renderFullList(snapshot: PresentSnapshot): { body: Buffer; etag: string } {
  const users = snapshot.users.map((user) => rocketChatPresenceUser({ user, status: effectiveStatus(user, snapshot.takenAt) }));
  const json = JSON.stringify({ users, full: true, success: true });
  return { body: Buffer.from(json), etag: etagOf(json) };
}

/**
 * What only the user himself is told of his presence, as Rocket.Chat does: his connection status (and, for
 * users.getStatus, how many connections of each kind; for users.getPresence, his last login); nothing for anybody
 * else.
 */
async function ownPresenceFields(reading: PresenceReading, callerId: string, connections: ConnectionService, extra: 'counts' | 'lastLogin'): Promise<Record<string, unknown>> {
  if (reading.user.id !== callerId) return {};
  // Beside Rocket.Chat, its own connections count too.
  const own = await connections.ownConnections(reading.user);
  if (extra === 'counts') return { connectionStatus: own.connectionStatus, connections: own.counts };
  return { connectionStatus: own.connectionStatus, ...(reading.user.lastLogin !== undefined ? { lastLogin: reading.user.lastLogin } : {}) };
}

/**
 * users.presence, users.setStatus, users.getStatus, users.getPresence, on the Rocket.Chat router behind
 * authentication; returns users.presence's chain for the hot lane (the same, its validation chains made one plain
 * check) and users.setStatus's.
 */
export function addRocketChatPresenceRoutes(
  router: Router,
  auth: RequestHandler[],
  presence: PresenceService,
  connections: ConnectionService,
): { usersPresence: RequestHandler[]; setStatus: RequestHandler[] } {
  const fullList = renderedPerSnapshot(renderFullList);

  const answerUsersPresence = async (req: Request, res: Response) => {
    const { from } = req.query as { from?: Date };
    const ids = req.query.ids === undefined ? undefined : parseIds(req.query.ids);
    const identity = identityOf(res);
    const list = await presence.listPresence({ from, ids, callerId: identity.userId });
    res.setHeader(PRESENCE_CURSOR_HEADER, list.cursor);
    if (list.full) {
      const { body, etag } = fullList(list.snapshot);
      sendRocketChatJson(req, res, 200, body, etag);
      return;
    }
    // The same bytes as JSON.stringify({users, full, success}), from each record's JSON made once.
    const body = `{"users":[${list.readings.map(rocketChatPresenceUserJson).join(',')}],"full":false,"success":true}`;
    sendRocketChatJson(req, res, 200, body, etagOf(body));
  };
  router.get('/users.presence', ...auth, fromParam, idsParam, rejectInvalid, answerUsersPresence);
  const checkQuery = (req: Request, _res: Response, next: NextFunction) => {
    checkUsersPresenceQuery(req);
    next();
  };
  const usersPresence: RequestHandler[] = [...auth, checkQuery, answerUsersPresence];

  const setStatus: RequestHandler[] = [
    ...auth,
    (req: Request, _res: Response, next: NextFunction) => {
      checkSetStatusBody(req);
      next();
    },
    async (req: Request, res: Response) => {
      const { status, message, expiresAt } = (req.body ?? {}) as { status?: string; message?: string; expiresAt?: Date };
      // Rocket.Chat's check of the body (a status or a message), word for word: its clients match on it.
      if (status === undefined && message === undefined) throw new WordedRefusal('', 'Match error: Failed Match.OneOf, Match.Maybe or Match.Optional validation');
      const identity = identityOf(res);
      const target = await presence.statusTarget(identity, userReferenceOf(req.body));
      await presence.setStatus(identity, target, { status, message, expiresAt });
      rocketChatSuccess(req, res, {});
    },
  ];
  router.post('/users.setStatus', ...setStatus);

  router.get('/users.getStatus', ...auth, ...userReferenceParams, rejectInvalid, async (req: Request, res: Response) => {
    const reading = await presence.readReferenced(identityOf(res), userReferenceOf(req.query));
    rocketChatSuccess(req, res, {
      _id: reading.user.id,
      ...(reading.user.statusText === '' ? {} : { message: reading.user.statusText }),
      ...(await ownPresenceFields(reading, identityOf(res).userId, connections, 'counts')),
      status: reading.status,
    });
  });

  router.get('/users.getPresence', ...auth, ...userReferenceParams, rejectInvalid, async (req: Request, res: Response) => {
    const reading = await presence.readReferenced(identityOf(res), userReferenceOf(req.query));
    rocketChatSuccess(req, res, { presence: reading.status, ...(await ownPresenceFields(reading, identityOf(res).userId, connections, 'lastLogin')) });
  });

  // The heartbeat of a client without a stream, or of one whose stream should end with the client (the page):
  // see docs/api.md, "Connections, heartbeats and the status rule".
  router.post(
    '/users.presence.heartbeat',
    ...auth,
    optionalString(body, 'status', CONNECTION_STATE_MAX).isIn(CONNECTION_STATES).withMessage(`must be one of ${CONNECTION_STATES.join(', ')}`),
    rejectInvalid,
    async (req: Request, res: Response) => {
      const { status } = (req.body ?? {}) as { status?: ConnectionState };
      const beat = await connections.heartbeat(identityOf(res), status ?? 'online');
      rocketChatSuccess(req, res, { status: beat.state, expiresAt: beat.expiresAt.toISOString(), heartbeatSeconds: beat.heartbeatMs / 1000 });
    },
  );

  return { usersPresence, setStatus };
}

/**
 * The three ways Rocket.Chat's validators let a query name a user: `userId`, `username`, `user` (a username). The
 * id must look like one (anything else names nobody: 400). users.setStatus's body names a user with any string
 * (checkSetStatusBody), which only an admin may use for another user.
 */
const userReferenceParams = [userIdParam(query, 'userId'), optionalString(query, 'username', USERNAME_MAX), optionalString(query, 'user', USERNAME_MAX)];

function userReferenceOf(source: unknown): UserReference {
  const { userId, username, user } = (source ?? {}) as Record<string, string | undefined>;
  return { userId, username, user };
}
