import * as errors from '../../src/domain/errors';
import { plainWording, pnutWording, rocketChatWording, WordedRefusal } from '../../src/http/responses/errorWording';

/** Every domain failure, its code, and the words each API answers it with (the texts clients have always read). */
const CASES: [errors.DomainError, string, string, string][] = [
  [new errors.UnauthorizedError(), 'unauthorized', 'You must be logged in to do this.', 'You must be logged in to do this.'],
  [new errors.InvalidCredentialsError(), 'unauthorized', 'Unauthorized', 'Unauthorized'],
  [new errors.ForbiddenError('set-status-of-another-user'), 'error-not-allowed', 'Not allowed to change the status of another user', 'unauthorized'],
  [new errors.ForbiddenError('administer-users'), 'unauthorized', 'unauthorized', 'unauthorized'],
  [new errors.UnknownUserError(), 'error-invalid-user', 'The required "userId" or "username" param provided does not match any user', 'The required "userId" or "username" param provided does not match any users'],
  [new errors.UserParamMissingError(), 'error-user-param-not-provided', 'The required "userId" or "username" param was not provided', 'The required "userId" or "username" param was not provided'],
  [new errors.ActionNotAllowedError('add-user'), 'error-action-not-allowed', 'Adding user is not allowed', 'Adding user is not allowed'],
  [new errors.ActionNotAllowedError('edit-user'), 'error-action-not-allowed', 'Editing user is not allowed', 'Editing user is not allowed'],
  [new errors.ActionNotAllowedError('leave-without-admins'), 'error-action-not-allowed', 'Leaving the app without admins is not allowed', 'Leaving the app without admins is not allowed'],
  [new errors.FieldUnavailableError('bob'), 'error-field-unavailable', 'bob is already in use :(', 'bob is already in use :('],
  [new errors.InvalidUsernameError('no spaces'), 'error-input-is-not-a-valid-field', 'no spaces is not a valid username', 'no spaces is not a valid username'],
  [new errors.InvalidStatusError(), 'error-invalid-status', 'Valid status types include online | away | offline | busy', 'Valid status types include online, away, offline, and busy.'],
  [new errors.ReservedUsernameError('<Admin>'), 'error-blocked-username', 'The username <Admin> is reserved', '&lt;Admin&gt; is blocked and can\'t be used!'],
  [new errors.InvalidEmailError('a&b'), 'error-invalid-email', 'Not an e-mail address: a&b', 'Invalid email a&amp;b'],
  [new errors.UnknownRoleError(['x', 'y']), 'error-action-not-allowed', 'Unknown roles: x, y', 'The field Roles consist invalid role id'],
  [new errors.InvalidParamError('from', 'must be a date'), 'invalid-params', 'The parameter "from" must be a date', 'The parameter "from" must be a date'],
  [new errors.WriteContentionError(), 'error-write-contention', 'The presence changed too often to be written, try again shortly', 'The presence changed too often to be written, try again shortly'],
  [new errors.TooManyStreamsError(), 'error-too-many-streams', 'Too many open presence streams for this user', 'Too many open presence streams for this user'],
  [new errors.StreamsUnavailableError('full'), 'error-streams-unavailable', 'Too many open presence streams, try another instance', 'Too many open presence streams, try another instance'],
  [new errors.StreamsUnavailableError('closing'), 'error-streams-unavailable', 'This instance is shutting down, try another instance', 'This instance is shutting down, try another instance'],
  [new errors.TooManyLoginAttemptsError('address', 10, new Date(0), 42), 'error-too-many-requests', 'Error, too many requests. Please slow down. You must wait 42 seconds before trying this endpoint again.', 'Error, too many requests. Please slow down. You must wait 42 seconds before trying this endpoint again.'],
  [new WordedRefusal('', 'Invalid search query.'), '', 'Invalid search query.', 'Invalid search query.'],
];

describe('API wording of domain failures', () => {
  it.each(CASES)('%p: code, the service\'s words and Rocket.Chat\'s', (error, code, plain, rocketChat) => {
    expect(error.code).toBe(code);
    expect(plainWording(error)).toBe(plain);
    expect(rocketChatWording(error)).toBe(rocketChat);
  });

  it('gives pnut its own "User not found" for an unknown user and the service\'s words otherwise', () => {
    expect(pnutWording(new errors.UnknownUserError())).toBe('User not found');
    for (const [error, , plain] of CASES) if (!(error instanceof errors.UnknownUserError)) expect(pnutWording(error)).toBe(plain);
  });

  it('keeps every wording out of the domain: an error\'s message is its code', () => {
    for (const [error, code] of CASES) if (!(error instanceof WordedRefusal)) expect(error.message).toBe(code);
  });
});
