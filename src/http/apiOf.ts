import type { Request } from 'express';

/** The two APIs this service speaks; each has its own JSON shape for answers and errors. */
export type Api = 'rocketchat' | 'pnut';

export function apiOf(req: Request): Api {
  return req.path.startsWith('/v0/') || req.path === '/v0' ? 'pnut' : 'rocketchat';
}
