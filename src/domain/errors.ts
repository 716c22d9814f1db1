/**
 * Failures the domain reports. The HTTP layer's one error handler chooses the status and the JSON for the API the
 * request came through. `code` is Rocket.Chat's errorType where Rocket.Chat has one.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** No valid login token (missing, unknown, expired, revoked, or an inactive user). */
export class UnauthorizedError extends DomainError {
  constructor(message = 'You must be logged in to do this.') {
    super('unauthorized', message);
  }
}

/** A login with a wrong password or an unknown user: one answer for both. */
export class InvalidCredentialsError extends DomainError {
  constructor() {
    super('unauthorized', 'Unauthorized');
  }
}

export class ForbiddenError extends DomainError {
  constructor(message: string, code = 'error-not-allowed') {
    super(code, message);
  }
}

export class NotFoundError extends DomainError {
  constructor(message: string, code = 'error-not-found') {
    super(code, message);
  }
}

/** A request that is well-formed but asks for something not allowed or not possible (Rocket.Chat answers 400). */
export class RejectedError extends DomainError {}

/** No user has the id or username asked for (Rocket.Chat answers 400 error-invalid-user; pnut, 404). */
export class UnknownUserError extends DomainError {
  constructor() {
    super('error-invalid-user', 'The required "userId" or "username" param provided does not match any user');
  }
}

/** users.create with a username Rocket.Chat reserves (RESERVED_USERNAMES). */
export class ReservedUsernameError extends RejectedError {
  constructor(readonly username: string) {
    super('error-blocked-username', `The username ${username} is reserved`);
  }
}

/** users.create with an address that is no e-mail address (isEmailAddress). */
export class InvalidEmailError extends RejectedError {
  constructor(readonly address: string) {
    super('error-invalid-email', `Not an e-mail address: ${address}`);
  }
}

/** users.create with roles no Rocket.Chat server has (KNOWN_ROLES). */
export class UnknownRoleError extends RejectedError {
  constructor(readonly roles: readonly string[]) {
    super('error-action-not-allowed', `Unknown roles: ${roles.join(', ')}`);
  }
}

export class InvalidParamError extends DomainError {
  constructor(
    readonly param: string,
    reason: string,
  ) {
    super('invalid-params', `The parameter "${param}" ${reason}`);
  }
}

/** A user's presence was rewritten by others every time this write tried to land; the client may try again. */
export class WriteContentionError extends DomainError {
  constructor() {
    super('error-write-contention', 'The presence changed too often to be written, try again shortly');
  }
}

/** The user already has as many streams open as one user may. */
export class TooManyStreamsError extends DomainError {
  constructor() {
    super('error-too-many-streams', 'Too many open presence streams for this user');
  }
}

/**
 * This instance cannot hold another stream now: it holds as many as it can (its open-file limit), or it is
 * shutting down. Another instance, or this one a little later, can.
 */
export class StreamsUnavailableError extends DomainError {
  constructor(reason: 'full' | 'closing') {
    super('error-streams-unavailable', reason === 'full' ? 'Too many open presence streams, try another instance' : 'This instance is shutting down, try another instance');
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
    super('error-too-many-requests', `Error, too many requests. Please slow down. You must wait ${retryAfterSeconds} seconds before trying this endpoint again.`);
  }
}
