import {
  ActionNotAllowedError,
  DomainError,
  FieldUnavailableError,
  ForbiddenError,
  InvalidCredentialsError,
  InvalidEmailError,
  InvalidParamError,
  InvalidStatusError,
  InvalidUsernameError,
  ReservedUsernameError,
  StreamsUnavailableError,
  TooManyLoginAttemptsError,
  TooManyStreamsError,
  UnauthorizedError,
  UnknownRoleError,
  UnknownUserError,
  UserParamMissingError,
  WriteContentionError,
} from '../../domain/errors';

/**
 * A refusal the HTTP layer words itself (an unknown route, a parameter combination a route refuses in Rocket.Chat's
 * words): its status, Rocket.Chat's errorType (`code`; empty for none) and the exact text, for every API alike.
 */
export class WordedRefusal extends DomainError {
  constructor(
    code: string,
    readonly wording: string,
    readonly status: 400 | 403 | 404 | 415 = 400,
  ) {
    super(code);
  }
}

const ACTIONS_NOT_ALLOWED: Record<ActionNotAllowedError['action'], string> = {
  'add-user': 'Adding user is not allowed',
  'edit-user': 'Editing user is not allowed',
  'leave-without-admins': 'Leaving the app without admins is not allowed',
};

/**
 * The service's own words for each domain failure: what pnut clients and the admin command read, and what Rocket.Chat
 * clients read where rocketChatWording has no words of Rocket.Chat's.
 */
export function plainWording(error: DomainError): string {
  if (error instanceof WordedRefusal) return error.wording;
  if (error instanceof UnauthorizedError) return 'You must be logged in to do this.';
  if (error instanceof InvalidCredentialsError) return 'Unauthorized';
  if (error instanceof ForbiddenError) return error.action === 'set-status-of-another-user' ? 'Not allowed to change the status of another user' : 'unauthorized';
  if (error instanceof UnknownUserError) return 'The required "userId" or "username" param provided does not match any user';
  if (error instanceof UserParamMissingError) return 'The required "userId" or "username" param was not provided';
  if (error instanceof ActionNotAllowedError) return ACTIONS_NOT_ALLOWED[error.action];
  if (error instanceof FieldUnavailableError) return `${error.value} is already in use :(`;
  if (error instanceof InvalidUsernameError) return `${error.username} is not a valid username`;
  if (error instanceof InvalidStatusError) return 'Valid status types include online | away | offline | busy';
  if (error instanceof ReservedUsernameError) return `The username ${error.username} is reserved`;
  if (error instanceof InvalidEmailError) return `Not an e-mail address: ${error.address}`;
  if (error instanceof UnknownRoleError) return `Unknown roles: ${error.roles.join(', ')}`;
  if (error instanceof InvalidParamError) return `The parameter "${error.param}" ${error.reason}`;
  if (error instanceof WriteContentionError) return 'The presence changed too often to be written, try again shortly';
  if (error instanceof TooManyStreamsError) return 'Too many open presence streams for this user';
  if (error instanceof StreamsUnavailableError) return error.reason === 'full' ? 'Too many open presence streams, try another instance' : 'This instance is shutting down, try another instance';
  if (error instanceof TooManyLoginAttemptsError) {
    return `Error, too many requests. Please slow down. You must wait ${error.retryAfterSeconds} seconds before trying this endpoint again.`;
  }
  return error.code;
}

/** As Rocket.Chat's `_.escape`, which its messages quoting a client's value go through. */
const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]);
}

/** Rocket.Chat's words for the failures its clients show or match on; the service's own (plainWording) elsewhere. */
export function rocketChatWording(error: DomainError): string {
  if (error instanceof ForbiddenError) return 'unauthorized';
  if (error instanceof UnknownUserError) return 'The required "userId" or "username" param provided does not match any users';
  if (error instanceof ReservedUsernameError) return `${escapeHtml(error.username)} is blocked and can't be used!`;
  if (error instanceof InvalidEmailError) return `Invalid email ${escapeHtml(error.address)}`;
  if (error instanceof UnknownRoleError) return 'The field Roles consist invalid role id';
  if (error instanceof InvalidStatusError) return 'Valid status types include online, away, offline, and busy.';
  return plainWording(error);
}

/** pnut's words: a user nobody has is pnut's "User not found" (its 404); the service's own words otherwise. */
export function pnutWording(error: DomainError): string {
  if (error instanceof UnknownUserError) return 'User not found';
  return plainWording(error);
}
