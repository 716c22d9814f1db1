import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Router, type Request, type Response } from 'express';
import { pageSecurityHeaders } from '../middleware/securityHeaders';

/**
 * The page's folder: beside this module's folder, both in the source tree (tests) and in dist/, where
 * `npm run build` copies it (tsc copies no .html, .css or .js).
 */
const PAGE_DIR = path.join(__dirname, '..', 'page');

const PAGE_FILES: { route: string; file: string; type: string }[] = [
  { route: '/', file: 'index.html', type: 'text/html; charset=utf-8' },
  { route: '/page.css', file: 'page.css', type: 'text/css; charset=utf-8' },
  { route: '/page.js', file: 'page.js', type: 'text/javascript; charset=utf-8' },
];

/**
 * The live presence page at `GET /` and its stylesheet and script: three small files read once (a missing
 * file stops the start, not a visitor), each with a strong ETag and revalidated on every use (`no-cache`), so a
 * new release is seen at once. Its security headers are the page's own set (pageSecurityHeaders), not the API's.
 */
export function presencePage(): Router {
  const router = Router();
  for (const { route, file, type } of PAGE_FILES) {
    const body = readFileSync(path.join(PAGE_DIR, file));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    router.get(route, pageSecurityHeaders, (_req: Request, res: Response) => {
      res.setHeader('Content-Type', type);
      res.setHeader('Cache-Control', 'no-cache');
      res.setHeader('ETag', etag);
      // res.send answers 304 without a body when the request's If-None-Match holds this ETag.
      res.send(body);
    });
  }
  return router;
}
