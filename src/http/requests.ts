import type { Request } from 'express';

/** The two APIs this service speaks; each has its own JSON shape for answers and errors. */
export type Api = 'rocketchat' | 'pnut';

/** By the URL as the client sent it: inside the router mounted at /v0, `req.path` alone is `/presence`. */
export function apiOf(req: Request): Api {
  // Case-insensitive, as Express routes are.
  return /^\/v0(?:[/?#]|$)/i.test(req.originalUrl) ? 'pnut' : 'rocketchat';
}

/** The token of an `Authorization: Bearer <token>` header; undefined for anything else. */
export function bearerTokenOf(authorization: string | undefined): string | undefined {
  return /^Bearer ([^\s,]+)$/i.exec(authorization ?? '')?.[1];
}
