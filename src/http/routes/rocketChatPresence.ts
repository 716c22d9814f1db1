import type { Request, RequestHandler, Response, Router } from 'express';
import { body, query } from 'express-validator';
import { effectiveStatus } from '../../domain/rules/status';
import { InvalidParamError } from '../../domain/errors';
import type { PresenceService } from '../../domain/services/presenceService';
import type { ConnectionService } from '../../domain/services/connectionService';
import { CONNECTION_STATES, type ConnectionState } from '../../domain/ports/connections';
import type { PresenceReading } from '../../domain/ports/records';
import type { PresentSnapshot } from '../../domain/rules/changes';
import { identityOf } from '../middleware/authenticate';
import { etagOf } from '../responses/etag';
import { rocketChatSuccess, sendRocketChatJson } from '../responses/rocketChat';
import { expiresAtParam, fromParam, idsParam, optionalString, parseIds, rejectInvalid, userIdQueryParam } from '../validation/params';
import { renderedPerSnapshot } from '../views/renderedPerSnapshot';
import { rocketChatPresenceUser, rocketChatPresenceUserJson } from '../views/rocketChatUser';

const STATUS_MESSAGE_MAX = 1024;
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
  if (reading.user._id !== callerId) return {};
  // Beside Rocket.Chat, its own connections count too.
  const own = await connections.ownConnections(reading.user);
  if (extra === 'counts') return { connectionStatus: own.connectionStatus, connections: own.counts };
  return { connectionStatus: own.connectionStatus, ...(reading.user.lastLogin !== undefined ? { lastLogin: reading.user.lastLogin } : {}) };
}

/**
 * users.presence, users.setStatus, users.getStatus, users.getPresence, on the Rocket.Chat router behind
 * authentication; returns users.presence's whole chain, which the app also mounts on its hot lane.
 */
export function addRocketChatPresenceRoutes(router: Router, auth: RequestHandler[], presence: PresenceService, connections: ConnectionService): { usersPresence: RequestHandler[] } {
  const fullList = renderedPerSnapshot(renderFullList);

  const usersPresence: RequestHandler[] = [...auth, fromParam, idsParam, rejectInvalid, async (req: Request, res: Response) => {
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
  }];
  router.get('/users.presence', ...usersPresence);

  router.post(
    '/users.setStatus',
    ...auth,
    optionalString(body, 'status', 32),
    optionalString(body, 'message', STATUS_MESSAGE_MAX),
    optionalString(body, 'userId', 64),
    expiresAtParam,
    rejectInvalid,
    async (req: Request, res: Response) => {
      const { status, message, userId, expiresAt } = (req.body ?? {}) as { status?: string; message?: string; userId?: string; expiresAt?: Date };
      if (status === undefined && message === undefined) throw new InvalidParamError('status', 'or "message" is required');
      const identity = identityOf(res);
      await presence.setStatus(identity, userId ?? identity.userId, { status, message, expiresAt });
      rocketChatSuccess(req, res, {});
    },
  );

  router.get('/users.getStatus', ...auth, userIdQueryParam('userId'), optionalString(query, 'username', 64), rejectInvalid, async (req: Request, res: Response) => {
    const reading = await readRequestedUser(presence, req, res);
    rocketChatSuccess(req, res, {
      _id: reading.user._id,
      ...(reading.user.statusText === '' ? {} : { message: reading.user.statusText }),
      ...(await ownPresenceFields(reading, identityOf(res).userId, connections, 'counts')),
      status: reading.status,
    });
  });

  router.get('/users.getPresence', ...auth, userIdQueryParam('userId'), optionalString(query, 'username', 64), rejectInvalid, async (req: Request, res: Response) => {
    const reading = await readRequestedUser(presence, req, res);
    rocketChatSuccess(req, res, { presence: reading.status, ...(await ownPresenceFields(reading, identityOf(res).userId, connections, 'lastLogin')) });
  });

  // The heartbeat of a client without a stream, or of one whose stream should end with the client (the page):
  // see docs/api.md, "Connections and heartbeats".
  router.post(
    '/users.presence.heartbeat',
    ...auth,
    optionalString(body, 'status', 16).isIn(CONNECTION_STATES).withMessage(`must be one of ${CONNECTION_STATES.join(', ')}`),
    rejectInvalid,
    async (req: Request, res: Response) => {
      const { status } = (req.body ?? {}) as { status?: ConnectionState };
      const beat = await connections.heartbeat(identityOf(res), status ?? 'online');
      rocketChatSuccess(req, res, { status: beat.state, expiresAt: beat.expiresAt.toISOString(), heartbeatSeconds: beat.heartbeatMs / 1000 });
    },
  );

  return { usersPresence };
}

/** `userId`, else `username`, else the caller: how getStatus and getPresence choose whom to read. */
function readRequestedUser(presence: PresenceService, req: Request, res: Response) {
  const { userId, username } = req.query as Record<string, string | undefined>;
  if (userId !== undefined) return presence.readUser(userId);
  if (username !== undefined) return presence.readUserByUsername(username);
  return presence.readUser(identityOf(res).userId);
}
