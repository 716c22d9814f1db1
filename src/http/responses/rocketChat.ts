import type { Request, Response } from 'express';
import { answeredNotModified } from './etag';
import { withFields } from '../../utils';

/**
 * Writes a Rocket.Chat answer as its REST router does: `Content-Type` exactly `application/json`, never cached.
 * With an `etag` (successes only), a request whose If-None-Match matches gets 304 and no body.
 */
export function sendRocketChatJson(req: Request, res: Response, status: number, body: string | Buffer, etag?: string): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
  if (etag !== undefined && answeredNotModified(req, res, etag)) return;
  res.setHeader('Content-Type', 'application/json');
  res.status(status).end(body);
}

export function rocketChatSuccess(req: Request, res: Response, payload: object): void {
  sendRocketChatJson(req, res, 200, JSON.stringify(withFields(payload, { success: true })));
}
