import type { NextFunction, Request, Response } from 'express';

type HeaderList = readonly (readonly [string, string])[];

/**
 * The headers OWASP's REST Security Cheat Sheet asks of a JSON API, on every answer. A route that may be cached
 * differently says so itself (the stream's `no-cache, no-transform`). None of the protections only an HTML page
 * needs (a Content-Security-Policy with sources, the cross-origin policies, X-XSS-Protection…): nothing here is
 * rendered by a browser, and every such header is bytes on each of the millions of polls. docs/api.md says why
 * each one is there.
 */
const API_HEADERS: HeaderList = [
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

/**
 * The presence page's own set, which a browser renders: every resource from this origin, no inline script or
 * style, never framed, no referrer leaked to another site, no cross-origin window or embedding. Its caching is
 * the page route's (revalidated by ETag), so no Cache-Control here.
 */
const PAGE_HEADERS: HeaderList = [
  [
    'Content-Security-Policy',
    [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "connect-src 'self'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "form-action 'self'",
    ].join(';'),
  ],
  ['X-Content-Type-Options', 'nosniff'],
  ['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'no-referrer'],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
];

function setting(headers: HeaderList) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}

export const securityHeaders = setting(API_HEADERS);
export const pageSecurityHeaders = setting(PAGE_HEADERS);
