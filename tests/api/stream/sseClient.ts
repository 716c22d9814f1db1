import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { SseParser, type SseBlock } from '../../../tools/sseParser';

export interface PresenceEvent {
  id: string | undefined;
  event: string | undefined;
  data: { users: Record<string, unknown>[]; full: boolean };
}

/** A listening server for a test app: streams need a real socket, not supertest's one-shot request. */
export async function listen(app: Express): Promise<{ port: number; dropConnections(): void; close(): Promise<void> }> {
  const server: Server = await new Promise((resolve) => {
    const started = app.listen(0, '127.0.0.1', () => resolve(started));
  });
  return {
    port: (server.address() as AddressInfo).port,
    /** Cuts every open connection, streams included, as a network drop would; the server keeps listening. */
    dropConnections: () => server.closeAllConnections(),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One open stream as an EventSource sees it: events parsed as they arrive, comments and the retry line kept. */
export class SseClient {
  readonly events: PresenceEvent[] = [];
  readonly comments: string[] = [];
  retry: number | undefined;
  ended = false;
  private waiters: (() => void)[] = [];

  constructor(
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
    private readonly response: IncomingMessage,
  ) {
    const parser = new SseParser((block) => this.take(block));
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      parser.push(chunk);
      this.wake();
    });
    const finish = () => {
      this.ended = true;
      this.wake();
    };
    response.on('end', finish);
    response.on('close', finish);
    response.on('error', finish);
  }

  /**
   * Resolves when `predicate` holds, re-checked on every chunk and when the stream ends; fails if the stream ends
   * first. No timer: the test's jest timeout is the only bound.
   */
  async until(predicate: () => boolean, what: string): Promise<void> {
    while (!predicate()) {
      if (this.ended) throw new Error(`the stream ended before ${what}; events so far: ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Resolves with the event at `index` (0 = the first one) once it has arrived. */
  async event(index: number): Promise<PresenceEvent> {
    await this.until(() => this.events.length > index, `event #${index}`);
    return this.events[index];
  }

  close(): void {
    this.response.destroy();
  }

  private take(block: SseBlock): void {
    this.comments.push(...block.comments);
    if (block.retry !== undefined) this.retry = block.retry;
    if (block.data !== undefined) this.events.push({ id: block.id, event: block.event, data: JSON.parse(block.data) });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** Opens `path` as a stream (a GET, with `body` if given). A refusal (not 200) comes back with its JSON body in `body`. */
export function openStream(port: number, path: string, headers: Record<string, string> = {}, body?: string): Promise<SseClient & { body?: unknown }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { Accept: 'text/event-stream', ...headers } }, (res) => {
      if (res.statusCode !== 200) {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve(Object.assign(new SseClient(res.statusCode ?? 0, res.headers, res), { body: JSON.parse(text) })));
        return;
      }
      resolve(new SseClient(200, res.headers, res));
    });
    req.on('error', reject);
    req.end(body);
  });
}
