import type { Request } from 'express';

/** The two APIs this service speaks; each has its own JSON shape for answers and errors. */
export type Api = 'rocketchat' | 'pnut';

/** By the URL as the client sent it: inside the router mounted at /v0, `req.path` alone is `/presence`. */
export function apiOf(req: Request): Api {
  // Case-insensitive, as Express routes are.
  return /^\/v0(?:[/?#]|$)/i.test(req.originalUrl) ? 'pnut' : 'rocketchat';
}
