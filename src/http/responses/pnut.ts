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

/**
 * pnut's X-Pretty-Json: sent at all, whatever its value, it asks for indented JSON (pnut.io's docs: "If it is set
 * at all, the JSON will be returned that way"), meant for a person reading answers while testing.
 */
function prettyJsonWanted(req: Request): boolean {
  return req.headers['x-pretty-json'] !== undefined;
}

/** The JSON as this request wants it: compact, or indented by 4 spaces as pnut.io's examples are. */
function rendered(req: Request, json: string): string {
  return prettyJsonWanted(req) ? JSON.stringify(JSON.parse(json), null, 4) : json;
}

function send(req: Request, res: Response, code: number, body: string | Buffer, etag?: string): void {
  // Each answer comes compact or indented by this header: a cache must not hand one form to a client asking for the other.
  res.vary('X-Pretty-Json');
  if (etag !== undefined && answeredNotModified(req, res, etag)) return;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.status(code).end(body);
}

function envelope(meta: PnutMeta, dataJson: string): string {
  return `{"meta":${JSON.stringify(meta)},"data":${dataJson}}`;
}

/**
 * The envelope's bytes differ between callers only by updated_presence and indentation; folding both into the
 * data's tag keeps it strong, and one tag per representation.
 */
function envelopeEtag(dataEtag: string, meta: PnutMeta, pretty: boolean): string {
  const updated = meta.updated_presence === undefined ? '' : meta.updated_presence ? '.t' : '.f';
  const suffix = updated + (pretty ? '.p' : '');
  return suffix === '' ? dataEtag : dataEtag.replace(/"$/, `${suffix}"`);
}

export function pnutSuccess(req: Request, res: Response, data: unknown): void {
  send(req, res, 200, rendered(req, envelope(metaFor(res, 200), JSON.stringify(data))));
}

/**
 * A list every caller gets the same: the data is serialised once, and each envelope (without updated_presence,
 * with true, with false; compact or indented) is built once, as bytes, on first use.
 */
export class CachedPnutList {
  private readonly etag: string;
  private readonly bodies = new Map<string, Buffer>();

  constructor(private readonly dataJson: string) {
    this.etag = etagOf(dataJson);
  }

  send(req: Request, res: Response): void {
    const meta = metaFor(res, 200);
    const pretty = prettyJsonWanted(req);
    const key = `${meta.updated_presence}/${pretty}`;
    let body = this.bodies.get(key);
    if (body === undefined) {
      body = Buffer.from(rendered(req, envelope(meta, this.dataJson)));
      this.bodies.set(key, body);
    }
    send(req, res, 200, body, envelopeEtag(this.etag, meta, pretty));
  }
}

/** An error: no `data`, and the reason in `meta.error_message`. */
export function pnutError(req: Request, res: Response, code: number, message: string): void {
  send(req, res, code, rendered(req, JSON.stringify({ meta: { ...metaFor(res, code), error_message: message } })));
}
