import type { NextFunction, Request, Response } from 'express';

/**
 * The headers OWASP's REST Security Cheat Sheet asks of a JSON API, on every answer. A route that may be cached
 * differently says so itself (the stream's `no-cache, no-transform`). None of the protections only an HTML page
 * needs (a Content-Security-Policy with sources, the cross-origin policies, X-XSS-Protection…): nothing here is
 * rendered by a browser, and every such header is bytes on each of the millions of polls. docs/api.md says why
 * each one is there.
 */
const HEADERS: readonly [string, string][] = [
  // No shared or private cache keeps presence or credentials-bearing answers.
  ['Cache-Control', 'no-store'],
  // A browser never guesses another type than the JSON declared.
  ['X-Content-Type-Options', 'nosniff'],
  // Browsers that reached the service over HTTPS keep to HTTPS; ignored over plain HTTP.
  ['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'],
  // No page may frame an answer (click-jacking), in old browsers and in new ones.
  ['X-Frame-Options', 'DENY'],
  ['Content-Security-Policy', "frame-ancestors 'none'"],
];

export function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  for (const [name, value] of HEADERS) res.setHeader(name, value);
  next();
}
