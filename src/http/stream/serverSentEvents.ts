import type { Response } from 'express';
import type { PresenceReading } from '../../domain/presenceService';
import type { StreamEvent, StreamSink } from '../../domain/presenceStreams';
import { rocketChatPresenceUser } from '../views/rocketChatUser';

export interface SseOptions {
  /** `retry:`: how soon an EventSource reconnects after the stream ends. */
  retryMs: number;
  /** A client whose unread events exceed this is cut off (it resumes from its last event id), so none can grow memory. */
  maxBufferedBytes: number;
}

/** A stream's status line headers (HEAD answers them too). */
export const SSE_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  // no-transform: no proxy may compress or rewrite it; X-Accel-Buffering: nginx passes each event on at once.
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
} as const;

/** Each reading is rendered once, however many streams it goes to. */
const renderedUsers = new WeakMap<PresenceReading, string>();

function userJson(reading: PresenceReading): string {
  let json = renderedUsers.get(reading);
  if (json === undefined) {
    json = JSON.stringify(rocketChatPresenceUser(reading));
    renderedUsers.set(reading, json);
  }
  return json;
}

/** `event: presence`, the cursor as `id:`, and `{"users":[…],"full":…}` as `data:` (JSON holds no newline). */
export function presenceEventText(event: StreamEvent): string {
  return `id: ${event.cursor}\nevent: presence\ndata: {"users":[${event.readings.map(userJson).join(',')}],"full":${event.full}}\n\n`;
}

/**
 * A stream sink over one HTTP response. The status line and headers go out with the first event (or `begin`), so
 * a stream refused before that is still answered with the API's plain JSON error.
 */
export class ServerSentEvents implements StreamSink {
  private begun = false;

  constructor(
    private readonly res: Response,
    private readonly options: SseOptions,
  ) {}

  begin(): void {
    if (this.begun) return;
    this.begun = true;
    this.res.writeHead(200, { ...SSE_HEADERS, Connection: 'keep-alive' });
    this.write(`retry: ${this.options.retryMs}\n\n`);
  }

  send(event: StreamEvent): void {
    this.begin();
    this.write(presenceEventText(event));
  }

  keepAlive(): void {
    this.begin();
    this.write(': keep-alive\n\n');
  }

  close(): void {
    // The connection goes too, once the end is written: an EventSource never reuses it, and a shutdown need not
    // wait for it to time out as an idle keep-alive connection.
    this.res.end(() => this.res.socket?.end());
  }

  private write(text: string): void {
    if (this.res.writableEnded || this.res.destroyed) return;
    this.res.write(text);
    if (this.res.writableLength > this.options.maxBufferedBytes) this.res.destroy();
  }
}
