/**
 * Failures the domain reports; the HTTP layer's one error handler turns each into the right JSON for the API the
 * request came through. `code` is Rocket.Chat's errorType where Rocket.Chat has one.
 */
export class DomainError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class UnauthorizedError extends DomainError {
  constructor(message = 'You must be logged in to do this.') {
    super(401, 'unauthorized', message);
  }
}

export class InvalidCredentialsError extends DomainError {
  constructor() {
    super(401, 'unauthorized', 'Unauthorized');
  }
}

export class ForbiddenError extends DomainError {
  constructor(message: string, code = 'error-not-allowed') {
    super(403, code, message);
  }
}

export class NotFoundError extends DomainError {
  constructor(message: string, code = 'error-not-found') {
    super(404, code, message);
  }
}

/** A request that is well-formed but asks for something not allowed or not possible (Rocket.Chat answers 400). */
export class RejectedError extends DomainError {
  constructor(code: string, message: string) {
    super(400, code, message);
  }
}

/** No user has the id or username asked for (Rocket.Chat answers 400 error-invalid-user; pnut, 404). */
export class UnknownUserError extends DomainError {
  constructor() {
    super(400, 'error-invalid-user', 'The required "userId" or "username" param provided does not match any user');
  }
}

export class InvalidParamError extends DomainError {
  constructor(
    readonly param: string,
    reason: string,
  ) {
    super(400, 'invalid-params', `The parameter "${param}" ${reason}`);
  }
}

/** A user's presence was rewritten by others every time this write tried to land; the client may try again. */
export class WriteContentionError extends DomainError {
  constructor() {
    super(503, 'error-write-contention', 'The presence changed too often to be written, try again shortly');
  }
}

/** The user already has as many streams open as one user may. */
export class TooManyStreamsError extends DomainError {
  constructor() {
    super(429, 'error-too-many-streams', 'Too many open presence streams for this user');
  }
}

/**
 * This instance cannot hold another stream now: it holds as many as it can (its open-file limit), or it is
 * shutting down. Another instance, or this one a little later, can.
 */
export class StreamsUnavailableError extends DomainError {
  constructor(reason: 'full' | 'closing') {
    super(503, 'error-streams-unavailable', reason === 'full' ? 'Too many open presence streams, try another instance' : 'This instance is shutting down, try another instance');
  }
}
