/**
 * Failures the domain reports: what went wrong (`code`, Rocket.Chat's errorType where Rocket.Chat has one) and the
 * data it concerns, never the words a client reads. The HTTP layer's one error handler chooses the status and the
 * wording for the API the request came through (src/http/responses/errorWording.ts); `message` is the code, for logs.
 */
export class DomainError extends Error {
  constructor(readonly code: string) {
    super(code);
    this.name = new.target.name;
  }
}

/** No valid login token (missing, unknown, expired, revoked, or an inactive user). */
export class UnauthorizedError extends DomainError {
  constructor() {
    super('unauthorized');
  }
}

/** A login with a wrong password or an unknown user: one answer for both. */
export class InvalidCredentialsError extends DomainError {
  constructor() {
    super('unauthorized');
  }
}

/** What a caller may not do: set another user's status, or an admin's action without being one. */
export class ForbiddenError extends DomainError {
  constructor(readonly action: 'set-status-of-another-user' | 'administer-users') {
    super(action === 'set-status-of-another-user' ? 'error-not-allowed' : 'unauthorized');
  }
}

/** A request that is well-formed but asks for something not allowed or not possible (Rocket.Chat answers 400). */
export class RejectedError extends DomainError {}

/** No user has the id or username asked for (Rocket.Chat answers 400 error-invalid-user; pnut, 404). */
export class UnknownUserError extends DomainError {
  constructor() {
    super('error-invalid-user');
  }
}

/** A users.* request naming no user at all (neither `userId` nor `username`). */
export class UserParamMissingError extends RejectedError {
  constructor() {
    super('error-user-param-not-provided');
  }
}

/** An action Rocket.Chat refuses as error-action-not-allowed: adding or editing users without the right, or removing the last admin. */
export class ActionNotAllowedError extends RejectedError {
  constructor(readonly action: 'add-user' | 'edit-user' | 'leave-without-admins') {
    super('error-action-not-allowed');
  }
}

/** A username or an e-mail address another user holds. */
export class FieldUnavailableError extends RejectedError {
  constructor(readonly value: string | undefined) {
    super('error-field-unavailable');
  }
}

/** A username that does not match Rocket.Chat's pattern (isUsername). */
export class InvalidUsernameError extends RejectedError {
  constructor(readonly username: string) {
    super('error-input-is-not-a-valid-field');
  }
}

/** A status that is none of Rocket.Chat's (isStatus). */
export class InvalidStatusError extends RejectedError {
  constructor() {
    super('error-invalid-status');
  }
}

/** users.create with a username Rocket.Chat reserves (RESERVED_USERNAMES). */
export class ReservedUsernameError extends RejectedError {
  constructor(readonly username: string) {
    super('error-blocked-username');
  }
}

/** users.create with an address that is no e-mail address (isEmailAddress). */
export class InvalidEmailError extends RejectedError {
  constructor(readonly address: string) {
    super('error-invalid-email');
  }
}

/** users.create with roles no Rocket.Chat server has (KNOWN_ROLES). */
export class UnknownRoleError extends RejectedError {
  constructor(readonly roles: readonly string[]) {
    super('error-action-not-allowed');
  }
}

/** A parameter refused: `param` names it, `reason` says what it must be ("must be in the future"). */
export class InvalidParamError extends DomainError {
  constructor(
    readonly param: string,
    readonly reason: string,
  ) {
    super('invalid-params');
  }
}

/** A user's presence was rewritten by others every time this write tried to land; the client may try again. */
export class WriteContentionError extends DomainError {
  constructor() {
    super('error-write-contention');
  }
}

/** The user already has as many streams open as one user may. */
export class TooManyStreamsError extends DomainError {
  constructor() {
    super('error-too-many-streams');
  }
}

/**
 * This instance cannot hold another stream now: it holds as many as it can (its open-file limit), or it is
 * shutting down. Another instance, or this one a little later, can.
 */
export class StreamsUnavailableError extends DomainError {
  constructor(readonly reason: 'full' | 'closing') {
    super('error-streams-unavailable');
  }
}

/** Too many failed logins from this address or for this account, on all instances together, in the current window. */
export class TooManyLoginAttemptsError extends DomainError {
  constructor(
    readonly scope: 'address' | 'account',
    readonly limit: number,
    readonly resetAt: Date,
    readonly retryAfterSeconds: number,
  ) {
    super('error-too-many-requests');
  }
}
