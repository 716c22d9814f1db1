import { EventEmitter } from 'node:events';
import type { Response } from 'express';
import { presenceEventText, ServerSentEvents } from '../../src/http/stream/serverSentEvents';
import type { PresenceReading } from '../../src/domain/ports/records';
import type { StreamEvent } from '../../src/domain/ports/streams';
import { userRecord } from '../support/testApp';

/**
 * A response whose client reads nothing: every write stays queued on its socket. An HTTP/1.1 request's unless
 * `http10`: Node then frames the body without chunks.
 */
function unreadResponse(http10 = false) {
  const written: (string | Buffer)[] = [];
  const socket = {
    destroyed: false,
    writableLength: 0,
    write(data: string | Buffer) {
      written.push(data);
      this.writableLength += Buffer.byteLength(data);
      return false;
    },
  };
  const res = {
    req: { httpVersionMajor: 1, httpVersionMinor: http10 ? 0 : 1 },
    chunkedEncoding: false,
    writableEnded: false,
    destroyed: false,
    socket,
    headers: undefined as Record<string, string> | undefined,
    writeHead(status: number, headers: Record<string, string>) {
      this.headers = { status: String(status), ...headers };
      this.chunkedEncoding = !http10;
      return this;
    },
    flushHeaders() {},
    destroy() {
      this.destroyed = true;
      socket.destroyed = true;
    },
    end() {
      this.writableEnded = true;
    },
  };
  const text = () => written.map((data) => data.toString()).join('');
  return { res, socket, written, text };
}

const reading = (id: string): PresenceReading => ({ user: userRecord({ id: id, name: id, username: id }), status: 'online' });
const change = (n: number): StreamEvent => ({ cursor: `0a1b2c3d-${n}`, full: false, readings: [reading(`user${n}`)] });

/** The bytes of the chunk of the chunked body that carries `text`: its size in hex, CRLF, the text, CRLF. */
const chunkBytes = (text: string) => Buffer.byteLength(text).toString(16).length + 2 + Buffer.byteLength(text) + 2;
/** How many of change(0), change(1)… a client that reads nothing is sent until more than `limit` bytes wait after `already`. */
function changesUntilPast(limit: number, already = 0): number {
  let waiting = already;
  let sent = 0;
  while (waiting <= limit) {
    waiting += chunkBytes(presenceEventText(change(sent)));
    sent += 1;
  }
  return sent;
}

describe('presenceEventText', () => {
  it('is one `presence` event with the cursor as id and users.presence\'s user objects as data', () => {
    expect(presenceEventText({ cursor: '0a1b2c3d-4', full: false, readings: [reading('u1')] })).toBe(
      'id: 0a1b2c3d-4\nevent: presence\ndata: {"users":[{"_id":"u1","name":"u1","username":"u1","status":"online","utcOffset":0}],"full":false}\n\n',
    );
  });
});

describe('ServerSentEvents', () => {
  it('writes the headers, then the retry time and each event as one chunk of the chunked body', () => {
    const { res, written } = unreadResponse();
    const sink = new ServerSentEvents(res as unknown as Response, { retryMs: 2500, maxBufferedBytes: 1 << 20 });
    sink.keepAlive();
    sink.send(change(1));
    expect(res.headers).toMatchObject({ status: '200', 'Content-Type': 'text/event-stream; charset=utf-8', 'X-Accel-Buffering': 'no' });
    const event = presenceEventText(change(1));
    expect(written).toEqual(['d\r\nretry: 2500\n\n\r\n', 'e\r\n: keep-alive\n\n\r\n', `${event.length.toString(16)}\r\n${event}\r\n`]);
  });

  it('writes a keep-alive only when nothing was written since the previous call, so a busy stream gets none', () => {
    const { res, written } = unreadResponse();
    const sink = new ServerSentEvents(res as unknown as Response, { retryMs: 1000, maxBufferedBytes: 1 << 20 });
    sink.send(change(1));
    sink.keepAlive();
    expect(written).toHaveLength(2);
    sink.keepAlive();
    expect(written.at(-1)).toBe('e\r\n: keep-alive\n\n\r\n');
    sink.keepAlive();
    expect(written).toHaveLength(4);
    sink.send(change(2));
    sink.keepAlive();
    expect(written).toHaveLength(5);
  });

  it('to an HTTP/1.0 client, says Connection: close and writes the events without chunk framing', () => {
    const { res, written, text } = unreadResponse(true);
    const sink = new ServerSentEvents(res as unknown as Response, { retryMs: 1000, maxBufferedBytes: 1 << 20 });
    sink.send(change(1));
    sink.keepAlive();
    sink.keepAlive();
    expect(res.headers?.Connection).toBe('close');
    expect(written).toHaveLength(3);
    expect(text()).toBe(`retry: 1000\n\n${presenceEventText(change(1))}: keep-alive\n\n`);
  });

  it('sizes a chunk in bytes, not characters', () => {
    const { res, written } = unreadResponse();
    const sink = new ServerSentEvents(res as unknown as Response, { retryMs: 1000, maxBufferedBytes: 1 << 20 });
    const user = { ...reading('u1'), user: { ...reading('u1').user, statusText: 'café ☕' } };
    sink.send({ cursor: 'c-1', full: false, readings: [user] });
    const [size, body] = String(written[1]).split('\r\n');
    expect(parseInt(size, 16)).toBe(Buffer.byteLength(body));
  });

  it('cuts off a client that does not read once its unread output passes the limit, and writes nothing more', () => {
    const { res, written } = unreadResponse();
    const sink = new ServerSentEvents(res as unknown as Response, { retryMs: 1000, maxBufferedBytes: 2000 });
    let sent = 0;
    while (!res.destroyed && sent < 1000) {
      sink.send(change(sent));
      sent += 1;
    }
    expect(res.destroyed).toBe(true);
    // The retry line counts too: it waits unread like the rest.
    expect(sent).toBe(changesUntilPast(2000, chunkBytes('retry: 1000\n\n')));
    expect(sent).toBeGreaterThanOrEqual(10);
    const writes = written.length;
    sink.send(change(9999));
    expect(written).toHaveLength(writes);
  });

  it('writes a snapshot larger than the limit whole, and counts against the limit only what comes after it', () => {
    const { res, socket, text } = unreadResponse();
    const sink = new ServerSentEvents(res as unknown as Response, { retryMs: 1000, maxBufferedBytes: 2000 });
    const snapshot: StreamEvent = { cursor: '0a1b2c3d-1', full: true, readings: Array.from({ length: 500 }, (_, k) => reading(`user${k}`)) };
    sink.send(snapshot);
    expect(socket.writableLength).toBe(chunkBytes('retry: 1000\n\n') + chunkBytes(presenceEventText(snapshot)));
    expect(socket.writableLength).toBeGreaterThan(40_000);
    expect(res.destroyed).toBe(false);
    expect(text()).toContain(presenceEventText(snapshot));
    let sent = 0;
    while (!res.destroyed && sent < 1000) {
      sink.send(change(sent));
      sent += 1;
    }
    // Cut off once what follows the snapshot passes 2000 bytes: about 2000 / 150 events, however big the snapshot.
    expect(res.destroyed).toBe(true);
    expect(sent).toBe(changesUntilPast(2000));
  });

  it('keeps up until its socket waits for \'drain\' (more unread than the high-water mark), then says so once it has drained', () => {
    const { res, socket } = unreadResponse();
    const drained = new EventEmitter();
    const sink = new ServerSentEvents(res as unknown as Response, { retryMs: 2500, maxBufferedBytes: 1 << 20 });
    // Before the stream has begun there is nothing to wait for.
    expect(sink.keepsUp()).toBe(true);
    Object.assign(socket, { writableNeedDrain: false, once: (name: string, then: () => void) => drained.once(name, then) });
    sink.send(change(1));
    expect(sink.keepsUp()).toBe(true);
    (socket as unknown as { writableNeedDrain: boolean }).writableNeedDrain = true;
    expect(sink.keepsUp()).toBe(false);
    let keptUp = 0;
    sink.onceKeptUp(() => (keptUp += 1));
    expect(keptUp).toBe(0);
    (socket as unknown as { writableNeedDrain: boolean }).writableNeedDrain = false;
    drained.emit('drain');
    drained.emit('drain');
    expect(keptUp).toBe(1);
    expect(sink.keepsUp()).toBe(true);
  });

  it('cuts off, at a keep-alive call, a client that is behind and has read nothing since the call before the previous one', () => {
    const { res, socket } = unreadResponse();
    const sink = new ServerSentEvents(res as unknown as Response, { retryMs: 1000, maxBufferedBytes: 1 << 20 });
    Object.assign(socket, { writableNeedDrain: true });
    sink.send(change(1));
    sink.keepAlive();
    sink.keepAlive();
    expect(res.destroyed).toBe(false);
    sink.keepAlive();
    expect(res.destroyed).toBe(true);
  });

  it('keeps a client that reads, however little, between keep-alive calls, and one that is not behind', () => {
    const { res, socket } = unreadResponse();
    const sink = new ServerSentEvents(res as unknown as Response, { retryMs: 1000, maxBufferedBytes: 1 << 20 });
    Object.assign(socket, { writableNeedDrain: true });
    sink.send(change(1));
    for (let call = 0; call < 6; call += 1) {
      sink.keepAlive();
      socket.writableLength -= 1;
    }
    expect(res.destroyed).toBe(false);
    Object.assign(socket, { writableNeedDrain: false });
    for (let call = 0; call < 6; call += 1) sink.keepAlive();
    expect(res.destroyed).toBe(false);
  });

  it('renders an event once however many streams it goes to, and a snapshot as one shared buffer', () => {
    const first = unreadResponse();
    const second = unreadResponse();
    const snapshot: StreamEvent = { cursor: '0a1b2c3d-1', full: true, readings: [reading('a'), reading('b')] };
    for (const { res } of [first, second]) new ServerSentEvents(res as unknown as Response, { retryMs: 1000, maxBufferedBytes: 1 << 20 }).send(snapshot);
    expect(Buffer.isBuffer(first.written[1])).toBe(true);
    expect(second.written[1]).toBe(first.written[1]);
  });
});
