import type { Request, Response } from 'express';
import { answeredNotModified, etagOf } from './etag';
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

function send(req: Request, res: Response, code: number, body: string | Buffer, etag?: string): void {
  if (etag !== undefined && answeredNotModified(req, res, etag)) return;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.status(code).end(body);
}

function envelope(meta: PnutMeta, dataJson: string): string {
  return `{"meta":${JSON.stringify(meta)},"data":${dataJson}}`;
}

/** The meta differs between callers only by updated_presence; folding it into the data's tag keeps it strong. */
function envelopeEtag(dataEtag: string, meta: PnutMeta): string {
  if (meta.updated_presence === undefined) return dataEtag;
  return dataEtag.replace(/"$/, meta.updated_presence ? '.t"' : '.f"');
}

export function pnutSuccess(req: Request, res: Response, data: unknown): void {
  send(req, res, 200, envelope(metaFor(res, 200), JSON.stringify(data)));
}

/**
 * A list every caller gets the same: the data is serialised once, and each of the three envelopes (without
 * updated_presence, with true, with false) is built once, as bytes, on first use.
 */
export class CachedPnutList {
  private readonly etag: string;
  private readonly bodies = new Map<boolean | undefined, Buffer>();

  constructor(private readonly dataJson: string) {
    this.etag = etagOf(dataJson);
  }

  send(req: Request, res: Response): void {
    const meta = metaFor(res, 200);
    let body = this.bodies.get(meta.updated_presence);
    if (body === undefined) {
      body = Buffer.from(envelope(meta, this.dataJson));
      this.bodies.set(meta.updated_presence, body);
    }
    send(req, res, 200, body, envelopeEtag(this.etag, meta));
  }
}

/** An error: no `data`, and the reason in `meta.error_message`. */
export function pnutError(req: Request, res: Response, code: number, message: string): void {
  send(req, res, code, JSON.stringify({ meta: { ...metaFor(res, code), error_message: message } }));
}
