import type { Request, Response } from 'express';
import { etagMatches, etagOf } from './etag';
import { updatedPresenceOf } from '../middleware/updatePresence';

interface PnutMeta {
  code: number;
  error_message?: string;
  updated_presence?: boolean;
}

function metaFor(res: Response, code: number): PnutMeta {
  const updated = updatedPresenceOf(res);
  return updated === undefined ? { code } : { code, updated_presence: updated };
}

function send(req: Request, res: Response, code: number, body: string, etag?: string): void {
  if (etag !== undefined) {
    res.setHeader('ETag', etag);
    if (code === 200 && etagMatches(req.headers['if-none-match'], etag)) {
      res.status(304).end();
      return;
    }
  }
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.status(code).end(body);
}

/** pnut's envelope around `data`, which is passed already serialised so a cached list is not serialised again. */
export function pnutSuccessJson(req: Request, res: Response, dataJson: string, dataEtag?: string): void {
  const meta = metaFor(res, 200);
  const body = `{"meta":${JSON.stringify(meta)},"data":${dataJson}}`;
  // The meta differs only by updated_presence; folding it into the data's tag keeps the tag strong and cheap.
  const etag = dataEtag === undefined ? undefined : dataEtag.replace(/"$/, meta.updated_presence === undefined ? '"' : meta.updated_presence ? '.t"' : '.f"');
  send(req, res, 200, body, etag);
}

export function pnutSuccess(req: Request, res: Response, data: unknown, withEtag = false): void {
  const dataJson = JSON.stringify(data);
  pnutSuccessJson(req, res, dataJson, withEtag ? etagOf(dataJson) : undefined);
}

/** An error: no `data`, and the reason in `meta.error_message`. */
export function pnutError(req: Request, res: Response, code: number, message: string): void {
  send(req, res, code, JSON.stringify({ meta: { ...metaFor(res, code), error_message: message } }));
}
