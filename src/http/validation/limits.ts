import { USERNAME_MAX_LENGTH } from '../../domain/rules/newUsers';

/**
 * The limits the request validators enforce, each in one place. openapi.json states them by hand;
 * tests/unit/openApiLimits.test.ts fails when the document and a constant here part.
 */

/** A user id as the presence endpoints take it (Rocket.Chat's ids are 17 characters; Mongo ObjectIds 24). */
export const USER_ID_MAX = 64;
export const USER_ID_PATTERN = new RegExp(`^[A-Za-z0-9._-]{1,${USER_ID_MAX}}$`);
/** A username naming a user, or a new one (its letters: USERNAME_FORMAT). */
export const USERNAME_MAX = USERNAME_MAX_LENGTH;
/** users.presence and the streams: at most this many ids a request. */
export const MAX_PRESENCE_IDS = 500;
/** An ISO 8601 date-time (`from`, `expiresAt`). */
export const DATE_TIME_MAX = 64;
/** pnut's `expiration` as a string: Unix seconds (its range is the domain's to check). */
export const EXPIRATION_MAX = 20;
/** A stream's cursor (`lastEventId`, Last-Event-ID) and a stream ticket. */
export const CURSOR_MAX = 64;
export const TICKET_MAX = 64;
/** users.setStatus: the status's name (checked against the statuses after) and its message. */
export const STATUS_NAME_MAX = 32;
export const STATUS_MESSAGE_MAX = 1024;
/** users.presence.heartbeat's status (checked against the connection states after). */
export const CONNECTION_STATE_MAX = 16;

/** login: a username, e-mail address, id or resume token; and the password. */
export const LOGIN_MAX = 256;
export const PASSWORD_MAX = 1024;
/** A password to set: not empty. */
export const NEW_PASSWORD_MIN = 1;
/** users.create and users.update: a name, an e-mail address, a user id to update. */
export const ACCOUNT_FIELD_MAX = 256;
/** users.create's roles, custom fields and status text. */
export const CREATE_ROLES_MAX = 20;
export const ROLE_MAX = 64;
export const CUSTOM_FIELDS_MAX = 50;
export const CUSTOM_FIELD_VALUE_MAX = 1024;
export const STATUS_TEXT_MAX = 1024;
/** users.update's roles. */
export const UPDATE_ROLES_MAX = 32;
/** users.info's `userId` and `username`. */
export const SELECTOR_MAX = 256;
/** users.list's `count` and `offset`: far past any real page, a larger offset is refused rather than scanned to. */
export const OFFSET_MAX = 1_000_000;
