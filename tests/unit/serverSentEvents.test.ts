import type { Response } from 'express';
import { presenceEventText, ServerSentEvents } from '../../src/http/stream/serverSentEvents';
import type { PresenceReading } from '../../src/domain/presenceService';
import type { UserRecord } from '../../src/domain/userRecord';

/** A response whose client reads nothing: every write stays buffered. */
function unreadResponse() {
  const written: string[] = [];
  const res = {
    writableEnded: false,
    destroyed: false,
    writableLength: 0,
    headers: undefined as Record<string, string> | undefined,
    writeHead(status: number, headers: Record<string, string>) {
      this.headers = { status: String(status), ...headers };
    },
    write(text: string) {
      written.push(text);
      this.writableLength += Buffer.byteLength(text);
      return false;
    },
    destroy() {
      this.destroyed = true;
    },
    end() {
      this.writableEnded = true;
    },
  };
  return { res, written };
}

const reading = (id: string): PresenceReading => ({ user: { _id: id, name: id, username: id, utcOffset: 0, statusText: '' } as UserRecord, status: 'online' });

describe('presenceEventText', () => {
  it('is one `presence` event with the cursor as id and users.presence\'s user objects as data', () => {
    expect(presenceEventText({ cursor: '0a1b2c3d-4', full: false, readings: [reading('u1')] })).toBe(
      'id: 0a1b2c3d-4\nevent: presence\ndata: {"users":[{"_id":"u1","name":"u1","username":"u1","status":"online","utcOffset":0}],"full":false}\n\n',
    );
  });
});

describe('ServerSentEvents', () => {
  it('writes the headers and the retry time before the first event', () => {
    const { res, written } = unreadResponse();
    new ServerSentEvents(res as unknown as Response, { retryMs: 2500, maxBufferedBytes: 1 << 20 }).keepAlive();
    expect(res.headers).toMatchObject({ status: '200', 'Content-Type': 'text/event-stream; charset=utf-8', 'X-Accel-Buffering': 'no' });
    expect(written).toEqual(['retry: 2500\n\n', ': keep-alive\n\n']);
  });

  it('cuts off a client that does not read once its unread output passes the limit, and writes nothing more', () => {
    const { res, written } = unreadResponse();
    const sink = new ServerSentEvents(res as unknown as Response, { retryMs: 1000, maxBufferedBytes: 2000 });
    let sent = 0;
    while (!res.destroyed && sent < 1000) {
      sink.send({ cursor: `0a1b2c3d-${sent}`, full: false, readings: [reading(`user${sent}`)] });
      sent += 1;
    }
    expect(res.destroyed).toBe(true);
    expect(res.writableLength).toBeLessThan(2000 + 200);
    const writes = written.length;
    sink.send({ cursor: '0a1b2c3d-x', full: false, readings: [reading('late')] });
    expect(written).toHaveLength(writes);
  });
});
