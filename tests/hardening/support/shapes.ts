/** What a test needs from an HTTP answer, whether it came from supertest or from node:http. */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export type Api = 'rocketchat' | 'pnut';

/** Text that only a leaked stack trace or internal detail would put in an answer. */
const LEAK_PATTERNS: RegExp[] = [
  /\bat [\w$.<>[\] ]+ \(/, // "at fn (" stack frames
  /\n\s+at /, // indented stack lines
  /\/work\//,
  /node_modules/,
  /\.[jt]s:\d+/, // file.ts:12
  /\bTypeError\b|\bReferenceError\b|\bSyntaxError\b|\bRangeError\b/,
  /Cannot read propert/,
  /\bMongo\w*Error\b|\bMongoose\w*\b|\bStoreUnavailableError\b/,
  /\bE11000\b/,
];

export function expectNoLeak(answer: Answer): void {
  for (const pattern of LEAK_PATTERNS) {
    if (pattern.test(answer.text)) throw new Error(`answer leaks internals (${pattern}): ${answer.text.slice(0, 400)}`);
  }
}

function parse(answer: Answer): unknown {
  try {
    return JSON.parse(answer.text);
  } catch {
    throw new Error(`answer ${answer.status} is not JSON: ${answer.text.slice(0, 200)}`);
  }
}

function contentType(answer: Answer): string {
  const value = answer.headers['content-type'];
  return Array.isArray(value) ? value.join(',') : (value ?? '');
}

/**
 * A failure in Rocket.Chat's shape: `Content-Type: application/json` exactly, `success: false` and a string
 * `error`; 401 adds `status: "error"` and `message`; a 400 with an errorType ends its error with `[errorType]`.
 */
export function expectRocketChatError(answer: Answer, status?: number): Record<string, unknown> {
  if (status !== undefined) expect({ status: answer.status, text: answer.text }).toEqual({ status, text: answer.text });
  expect(contentType(answer)).toBe('application/json');
  const body = parse(answer) as Record<string, unknown>;
  expect(body).toEqual(expect.objectContaining({ success: false, error: expect.stringMatching(/\S/) }));
  if (answer.status === 401) expect(body).toEqual(expect.objectContaining({ status: 'error', message: body.error }));
  if (typeof body.errorType === 'string') expect(body.error).toMatch(new RegExp(`\\[${body.errorType}\\]$`));
  const allowed = ['success', 'error', 'errorType', 'status', 'message'];
  expect(Object.keys(body).filter((key) => !allowed.includes(key))).toEqual([]);
  expectNoLeak(answer);
  return body;
}

/** A failure in pnut's envelope: `meta.code` equal to the HTTP status, `meta.error_message`, and no `data`. */
export function expectPnutError(answer: Answer, status?: number): Record<string, unknown> {
  if (status !== undefined) expect({ status: answer.status, text: answer.text }).toEqual({ status, text: answer.text });
  expect(contentType(answer)).toMatch(/^application\/json(;|$)/);
  const body = parse(answer) as { meta?: Record<string, unknown>; data?: unknown };
  expect(body.meta).toEqual(expect.objectContaining({ code: answer.status, error_message: expect.stringMatching(/\S/) }));
  expect(body).not.toHaveProperty('data');
  expect(Object.keys(body)).toEqual(['meta']);
  expectNoLeak(answer);
  return body as Record<string, unknown>;
}

export function expectApiError(api: Api, answer: Answer, status?: number): Record<string, unknown> {
  return api === 'pnut' ? expectPnutError(answer, status) : expectRocketChatError(answer, status);
}

/** A success in the API's shape (`success: true`, or pnut's `meta.code` 200 with `data`). */
export function expectApiSuccess(api: Api, answer: Answer): Record<string, unknown> {
  expect({ status: answer.status, text: answer.text.slice(0, 300) }).toEqual({ status: 200, text: answer.text.slice(0, 300) });
  const body = parse(answer) as Record<string, unknown>;
  if (api === 'pnut') expect(body).toEqual(expect.objectContaining({ meta: expect.objectContaining({ code: 200 }), data: expect.anything() }));
  else if (!('status' in body && body.status === 'success')) expect(body).toEqual(expect.objectContaining({ success: true }));
  expectNoLeak(answer);
  return body;
}
