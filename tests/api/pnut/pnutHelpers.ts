import type { Response } from 'supertest';
import type { SeededUser } from '../../support/testApp';

/** The keys a pnut presence object may carry (CONTRACT.md). */
export const PRESENCE_OBJECT_KEYS = ['id', 'username', 'name', 'avatar_image', 'presence', 'last_seen_at'];

/** A pnut success: HTTP status = meta.code, JSON, and a `data` member. Returns `data`. */
export function expectPnutSuccess(res: Response, code = 200): unknown {
  expect(res.status).toBe(code);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.body).toEqual(expect.objectContaining({ meta: expect.objectContaining({ code }) }));
  expect(res.body).toHaveProperty('data');
  expect(res.body.meta).not.toHaveProperty('error_message');
  return res.body.data;
}

/**
 * A pnut error: HTTP status = meta.code, exactly `message` in `meta.error_message`, and no `data` (meta may also tell
 * updated_presence).
 */
export function expectPnutError(res: Response, code: number, message: string | RegExp): void {
  expect(res.status).toBe(code);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const errorMessage = typeof message === 'string' ? message : expect.stringMatching(message);
  expect(res.body).toEqual({ meta: expect.objectContaining({ code, error_message: errorMessage }) });
  expect(Object.keys(res.body.meta as object).filter((key) => key !== 'updated_presence').sort()).toEqual(['code', 'error_message']);
}

/** A presence object with only the documented keys and the right types. */
export function expectPresenceObject(value: unknown): void {
  expect(typeof value).toBe('object');
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) expect(PRESENCE_OBJECT_KEYS).toContain(key);
  expect(typeof object.id).toBe('string');
  expect(typeof object.username).toBe('string');
  expect(typeof object.presence).toBe('string');
  if ('last_seen_at' in object) {
    expect(typeof object.last_seen_at).toBe('string');
    expect(new Date(object.last_seen_at as string).toISOString()).toBe(object.last_seen_at);
  }
}

/** The presence object pnut gives of a seeded user with `presence`, last seen at `lastSeenAt`. */
export function presenceObject(who: SeededUser, presence: string, lastSeenAt: Date): Record<string, unknown> {
  return { id: who.user.id, username: who.user.username, name: who.user.name, presence, last_seen_at: lastSeenAt.toISOString() };
}

export function unixSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
