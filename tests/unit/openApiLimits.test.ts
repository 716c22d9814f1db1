import openApiDocument from '../../src/http/openapi/openapi.json';
import * as validatorLimits from '../../src/http/validation/limits';
import { STATUSES } from '../../src/domain/ports/records';
import { CONNECTION_STATES } from '../../src/domain/ports/connections';
import { USERNAME_FORMAT } from '../../src/domain/rules/newUsers';
import { PNUT_PRESENCE_MAX_CODE_POINTS } from '../../src/domain/rules/pnut';
import { isPasswordDigest } from '../../src/domain/rules/logins';

/**
 * openapi.json is written by hand; the validators' limits live in src/http/validation/limits.ts and the domain. Each
 * limit, pattern and enum the document states for a request is listed here with what it mirrors, so changing
 * either side alone fails; so does a limit added to the document without a line here, or a constant added to
 * limits.ts that the document does not state.
 */

/** The validators' limits, noting which ones the table below reads. */
const mirroredLimits = new Set<string>();
const limits = new Proxy(validatorLimits, {
  get: (target, name) => {
    mirroredLimits.add(String(name));
    return target[name as keyof typeof target];
  },
});
/** Limits the document does not state, and why. */
const UNSTATED: Record<string, string> = {
  STATUS_NAME_MAX: 'the document lists the statuses themselves (schemas.Status)',
  CONNECTION_STATE_MAX: 'the document lists the connection states themselves',
  OFFSET_MAX: 'a string parameter\'s pattern cannot state a largest number; users.list refuses a larger one with 400',
};

type Schema = Record<string, unknown>;
const KEYWORDS = ['maxLength', 'minLength', 'maximum', 'minimum', 'exclusiveMaximum', 'exclusiveMinimum', 'maxItems', 'minItems', 'maxProperties', 'minProperties', 'pattern', 'enum', 'const'] as const;
type Keyword = (typeof KEYWORDS)[number];

const document = openApiDocument as unknown as { paths: Record<string, Record<string, Schema>>; components: Record<string, Record<string, Schema>> };

function resolved(node: Schema): { node: Schema; where?: string } {
  const ref = node.$ref;
  if (typeof ref !== 'string') return { node };
  const [, , section, name] = ref.split('/');
  return { node: document.components[section][name], where: `${section}.${name}` };
}

/** Every request-side limit the document states, by where it is ("POST /api/v1/users.create json.roles[]"). */
function documentedLimits(): Map<string, unknown> {
  const found = new Map<string, unknown>();
  const visit = (start: Schema, startWhere: string): void => {
    const { node, where = startWhere } = resolved(start);
    for (const keyword of KEYWORDS) if (node[keyword] !== undefined) found.set(`${where} ${keyword}`, node[keyword]);
    for (const [name, property] of Object.entries((node.properties ?? {}) as Record<string, Schema>)) visit(property, `${where}.${name}`);
    if (node.items !== undefined) visit(node.items as Schema, `${where}[]`);
    if (typeof node.additionalProperties === 'object') visit(node.additionalProperties as Schema, `${where}.*`);
    for (const combiner of ['oneOf', 'anyOf', 'allOf']) {
      ((node[combiner] ?? []) as Schema[]).forEach((branch, index) => visit(branch, `${where}|${index}`));
    }
  };
  const visitParameters = (parameters: Schema[], at: string): void => {
    for (const parameter of parameters) {
      const { node, where } = resolved(parameter);
      visit(node.schema as Schema, where ?? `${at} ${node.in as string}:${node.name as string}`);
    }
  };
  for (const [path, item] of Object.entries(document.paths)) {
    const { parameters = [], ...operations } = item as Record<string, Schema> & { parameters?: Schema[] };
    visitParameters(parameters, path);
    for (const [method, operation] of Object.entries(operations)) {
      const at = `${method.toUpperCase()} ${path}`;
      visitParameters((operation.parameters ?? []) as Schema[], at);
      const content = ((operation.requestBody as Schema | undefined)?.content ?? {}) as Record<string, Schema>;
      for (const [mediaType, media] of Object.entries(content)) visit(media.schema as Schema, `${at} ${mediaType === 'application/json' ? 'json' : 'form'}`);
    }
  }
  return found;
}

type Mirror = [string, Keyword, unknown];
const under = (at: string, entries: Mirror[]): Mirror[] => entries.map(([field, keyword, value]): Mirror => [`${at}${field}`, keyword, value]);
const bothMedia = (at: string, entries: Mirror[]): Mirror[] => ['json', 'form'].flatMap((media) => under(`${at} ${media}`, entries));
/** What users.create and users.update both take. */
const ACCOUNT_FIELDS: Mirror[] = [
  ['.username', 'maxLength', limits.USERNAME_MAX],
  ['.username', 'pattern', USERNAME_FORMAT.source],
  ['.name', 'maxLength', limits.ACCOUNT_FIELD_MAX],
  ['.password', 'minLength', limits.NEW_PASSWORD_MIN],
  ['.password', 'maxLength', limits.PASSWORD_MAX],
  ['.email', 'maxLength', limits.ACCOUNT_FIELD_MAX],
];
const userIdChars = limits.USER_ID_PATTERN.source.replace(/^\^(.*)\$$/, '$1');

/** Each documented request limit and what it mirrors: a constant, or (with why) the value itself. */
const MIRRORED: Mirror[] = [
  ...under('POST /api/v1/login json', [
    ['|0.user|0', 'maxLength', limits.LOGIN_MAX],
    ...['username', 'email', 'id'].map((name): Mirror => [`|0.user|1.${name}`, 'maxLength', limits.LOGIN_MAX]),
    // Meteor's `user` object names the user by exactly one of username, email, id (loginNameOfUserObject).
    ['|0.user|1', 'minProperties', 1],
    ['|0.user|1', 'maxProperties', 1],
    ['|1.username', 'maxLength', limits.LOGIN_MAX],
    ['|2.email', 'maxLength', limits.LOGIN_MAX],
    ['|3.resume', 'maxLength', limits.LOGIN_MAX],
    ...[0, 1, 2].map((form): Mirror => [`|${form}.password|0`, 'maxLength', limits.PASSWORD_MAX]),
    // The one hash Meteor's accounts send (passwordProofOf).
    ...[0, 1, 2].map((form): Mirror => [`|${form}.password|1.algorithm`, 'const', 'sha-256']),
  ]),
  ...under('POST /api/v1/login form', [
    ...['user', 'username', 'email', 'resume'].map((name, form): Mirror => [`|${form}.${name}`, 'maxLength', limits.LOGIN_MAX]),
    ...[0, 1, 2].map((form): Mirror => [`|${form}.password`, 'maxLength', limits.PASSWORD_MAX]),
  ]),
  ...bothMedia('POST /api/v1/users.create', [
    ...ACCOUNT_FIELDS,
    ['.roles', 'maxItems', limits.CREATE_ROLES_MAX],
    ['.roles[]', 'maxLength', limits.ROLE_MAX],
    ['.customFields', 'maxProperties', limits.CUSTOM_FIELDS_MAX],
    ['.customFields.*', 'maxLength', limits.CUSTOM_FIELD_VALUE_MAX],
    ['.statusText', 'maxLength', limits.STATUS_TEXT_MAX],
    // Refused unless off (the route's isOff): this service sends no e-mail.
    ['.setRandomPassword', 'enum', [false, null]],
    ['.sendWelcomeEmail', 'enum', [false, null]],
  ]),
  ...bothMedia('POST /api/v1/users.setStatus', [
    ['.message', 'maxLength', limits.STATUS_MESSAGE_MAX],
    ['.userId', 'maxLength', limits.USER_ID_MAX],
    ...['.username', '.user'].map((field): Mirror => [field, 'maxLength', limits.USERNAME_MAX]),
    ['.expiresAt', 'maxLength', limits.DATE_TIME_MAX],
  ]),
  ...bothMedia('POST /api/v1/users.presence.heartbeat', [['.status', 'enum', [...CONNECTION_STATES]]]),
  ['GET /api/v1/users.presence query:from', 'maxLength', limits.DATE_TIME_MAX],
  ...['GET /api/v1/users.presence', 'HEAD /api/v1/users.presence.stream', 'GET /api/v1/users.presence.stream'].flatMap((at): Mirror[] => [
    [`${at} query:ids|1`, 'maxItems', limits.MAX_PRESENCE_IDS],
    [`${at} query:ids|1[]`, 'pattern', limits.USER_ID_PATTERN.source],
  ]),
  ...['HEAD', 'GET'].map((method): Mirror => [`${method} /api/v1/users.presence.stream query:lastEventId`, 'maxLength', limits.CURSOR_MAX]),
  ['GET /api/v1/users.presence.stream query:ticket', 'maxLength', limits.TICKET_MAX],
  ['/v0/users/{user_id}/presence path:user_id', 'pattern', `^(me|${userIdChars})$`],
  // Any count of digits: the route refuses more than OFFSET_MAX in its message, which a pattern cannot say.
  ...['count', 'offset'].map((name): Mirror => [`GET /api/v1/users.list query:${name}`, 'pattern', '^[0-9]+$']),
  ...['userId', 'username'].map((name): Mirror => [`GET /api/v1/users.info query:${name}`, 'maxLength', limits.SELECTOR_MAX]),
  ['POST /api/v1/users.update json.userId', 'maxLength', limits.ACCOUNT_FIELD_MAX],
  ...under('POST /api/v1/users.update json.data', [
    ...ACCOUNT_FIELDS,
    ['.roles', 'maxItems', limits.UPDATE_ROLES_MAX],
  ]),
  ['POST /api/v1/users.setActiveStatus json.userId', 'maxLength', limits.ACCOUNT_FIELD_MAX],
  ['PUT /v0/users/{user_id}/presence query:expiration', 'maxLength', limits.EXPIRATION_MAX],
  ['parameters.UserIdQuery', 'pattern', `^(${userIdChars})?$`],
  ...['UsernameQuery', 'UserQuery'].map((name): Mirror => [`parameters.${name}`, 'maxLength', limits.USERNAME_MAX]),
  ['schemas.Status', 'enum', [...STATUSES]],
  ['schemas.PresenceString', 'maxLength', PNUT_PRESENCE_MAX_CODE_POINTS],
  // Any integer as a string: how far ahead it may be is the domain's rule (MAX_EXPIRATION_AHEAD_MS), said in prose.
  ['schemas.Expiration|0', 'pattern', '^-?\\d+$'],
  ['schemas.Expiration|0', 'maxLength', limits.EXPIRATION_MAX],
];

const DIGEST_PATTERN = 'POST /api/v1/login json|0.password|1.digest pattern';

describe('openapi.json states the limits the validators enforce', () => {
  const documented = documentedLimits();

  it.each(MIRRORED)('%s %s', (where, keyword, expected) => {
    expect(documented.get(`${where} ${keyword}`)).toEqual(expected);
  });

  it('states no request limit that is not mirrored above', () => {
    const mirrored = new Set(MIRRORED.map(([where, keyword]) => `${where} ${keyword}`));
    const digestPatterns = [...documented.keys()].filter((key) => key.endsWith('.password|1.digest pattern'));
    expect(digestPatterns).toContain(DIGEST_PATTERN);
    const unmirrored = [...documented.keys()].filter((key) => !mirrored.has(key) && !digestPatterns.includes(key));
    expect(unmirrored).toEqual([]);
  });

  it('states every limit the validators have, but those it cannot (UNSTATED)', () => {
    const unstated = Object.keys(validatorLimits).filter((name) => !mirroredLimits.has(name));
    expect(unstated.sort()).toEqual(Object.keys(UNSTATED).sort());
  });

  it('states the password digest isPasswordDigest takes, in every login form', () => {
    const patterns = [...documented].filter(([key]) => key.endsWith('.password|1.digest pattern')).map(([, pattern]) => new RegExp(pattern as string));
    expect(patterns).toHaveLength(3);
    const samples = ['a'.repeat(64), 'A'.repeat(64), '0123456789abcdefABCDEF'.padEnd(64, '9'), 'a'.repeat(63), 'a'.repeat(65), 'g'.repeat(64), `${'a'.repeat(63)} `, ''];
    for (const pattern of patterns) {
      expect(samples.map((sample) => pattern.test(sample))).toEqual(samples.map(isPasswordDigest));
    }
  });
});
