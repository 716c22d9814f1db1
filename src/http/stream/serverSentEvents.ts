import type { Socket } from 'node:net';
import type { Response } from 'express';
import type { StreamEvent, StreamSink } from '../../domain/ports/streams';
import { rocketChatPresenceUserJson } from '../views/rocketChatUser';
import { withFields } from '../../utils';

export interface SseOptions {
  /** `retry:`: how soon an EventSource reconnects after the stream ends. */
  retryMs: number;
  /**
   * A client that leaves more than this unread of what was written after its snapshot is cut off (it resumes
   * from its last event id), so none can grow memory. The snapshot itself may be larger: it is written once.
   */
  maxBufferedBytes: number;
}

/** keepAlive() runs twice a heartbeat: a client that reads nothing for two calls in a row read nothing for a heartbeat. */
const STALLED_CALLS = 2;

/** A stream's status line headers (HEAD answers them too). */
export const SSE_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  // no-transform: no proxy may compress or rewrite it; X-Accel-Buffering: nginx passes each event on at once.
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
} as const;

interface Chunk {
  data: string | Buffer;
  bytes: number;
}

/**
 * How the body's bytes are framed on the wire: HTTP/1.1's chunked transfer coding, or, for an HTTP/1.0 client (which
 * has none), the bytes as they are, the body ending when the connection closes. Each event is framed once per framing,
 * as the chunk written to every stream it goes to (a snapshot as bytes: one copy for all of them).
 */
interface Framing {
  frame(text: string, asBytes: boolean): Chunk;
  events: WeakMap<StreamEvent, Chunk>;
  keepAlive: Chunk;
}

/** `event: presence`, the cursor as `id:`, and `{"users":[…],"full":…}` as `data:` (JSON holds no newline). */
export function presenceEventText(event: StreamEvent): string {
  return `id: ${event.cursor}\nevent: presence\ndata: {"users":[${event.readings.map(rocketChatPresenceUserJson).join(',')}],"full":${event.full}}\n\n`;
}

function framing(frame: Framing['frame']): Framing {
  return { frame, events: new WeakMap(), keepAlive: frame(': keep-alive\n\n', false) };
}

/** One chunk of HTTP/1.1's chunked transfer coding: its size in hex, the bytes, CRLF. */
const CHUNKED = framing((text, asBytes) => {
  const bytes = Buffer.byteLength(text);
  const framed = `${bytes.toString(16)}\r\n${text}\r\n`;
  return { data: asBytes ? Buffer.from(framed) : framed, bytes: framed.length + (bytes - text.length) };
});

const UNFRAMED = framing((text, asBytes) => ({ data: asBytes ? Buffer.from(text) : text, bytes: Buffer.byteLength(text) }));

function chunkOfEvent(event: StreamEvent, framing: Framing): Chunk {
  let chunk = framing.events.get(event);
  if (chunk === undefined) {
    chunk = framing.frame(presenceEventText(event), event.full);
    framing.events.set(event, chunk);
  }
  return chunk;
}

/**
 * A stream sink over one HTTP response. The status line and headers go out with the first event (or `begin`), so
 * a stream refused before that is still answered with the API's plain JSON error.
 *
 * After the headers, each event is one write of one chunk straight to the socket: Node's response object would
 * write the chunk's size, the data and the CRLF as three buffers of a vectored write, for every event of every
 * stream, and that was most of the cost of a busy stream. The response still ends the body (`0` CRLF CRLF).
 * An HTTP/1.0 request gets `Connection: close` and no chunking (Node then sends no Transfer-Encoding): the events go
 * as they are, and the stream's end is the connection's.
 */
export class ServerSentEvents implements StreamSink {
  private socket: Socket | null | undefined;
  private framing = CHUNKED;
  /** Bytes written to the socket, and how many of them the last snapshot ended at. */
  private written = 0;
  private snapshotEnd = 0;
  private writtenSinceKeepAlive = false;
  /**
   * What the client had read of the stream at the previous keep-alive call (NaN before the first), and how many
   * calls in a row found it stalled.
   */
  private readAtKeepAlive = Number.NaN;
  private stalledCalls = 0;

  constructor(
    private readonly res: Response,
    private readonly options: SseOptions,
  ) {}

  begin(): void {
    if (this.socket !== undefined) return;
    const http10 = this.res.req.httpVersionMajor === 1 && this.res.req.httpVersionMinor === 0;
    this.res.writeHead(200, withFields(SSE_HEADERS, { Connection: http10 ? 'close' : 'keep-alive' }));
    this.res.flushHeaders();
    // As Node framed the head it wrote: chunked unless the client cannot take it.
    this.framing = this.res.chunkedEncoding ? CHUNKED : UNFRAMED;
    this.socket = this.res.socket;
    this.write(this.framing.frame(`retry: ${this.options.retryMs}\n\n`, false));
  }

  send(event: StreamEvent): void {
    this.begin();
    this.write(chunkOfEvent(event, this.framing), event.full);
  }

  keepAlive(): void {
    if (this.stalled()) {
      this.res.destroy();
      return;
    }
    const quiet = !this.writtenSinceKeepAlive;
    this.writtenSinceKeepAlive = false;
    if (!quiet) return;
    this.begin();
    this.write(this.framing.keepAlive);
    this.writtenSinceKeepAlive = false;
  }

  keepsUp(): boolean {
    const socket = this.liveSocket;
    // writableNeedDrain: a write found more waiting than the socket's high-water mark, and 'drain' will follow.
    return socket === undefined || !socket.writableNeedDrain;
  }

  onceKeptUp(then: () => void): void {
    this.socket?.once('drain', then);
  }

  close(): void {
    // The connection goes too, once the end is written: an EventSource never reuses it, and a shutdown need not
    // wait for it to time out as an idle keep-alive connection.
    this.res.end(() => this.res.socket?.end());
  }

  /**
   * Behind (its socket waits for 'drain') and nothing read since the previous call, STALLED_CALLS calls in a row: a
   * client that stopped reading. A stream with `ids` is not written to while behind (StreamDelivery), so the byte
   * limit would never cut it off; this does, freeing its slot, and it resumes from its last event id. A slow
   * client still reads some between two calls, and is kept.
   */
  private stalled(): boolean {
    const socket = this.liveSocket;
    if (socket === undefined) return false;
    const read = this.written - socket.writableLength;
    const stalled = socket.writableNeedDrain && read === this.readAtKeepAlive;
    this.readAtKeepAlive = read;
    this.stalledCalls = stalled ? this.stalledCalls + 1 : 0;
    return this.stalledCalls >= STALLED_CALLS;
  }

  /** The socket while it is there to write to: none before the headers went, or once it is destroyed. */
  private get liveSocket(): Socket | undefined {
    const socket = this.socket;
    return socket === null || socket === undefined || socket.destroyed ? undefined : socket;
  }

  private write(chunk: Chunk, snapshot = false): void {
    const socket = this.liveSocket;
    if (socket === undefined || this.res.writableEnded) return;
    socket.write(chunk.data);
    this.written += chunk.bytes;
    this.writtenSinceKeepAlive = true;
    if (snapshot) this.snapshotEnd = this.written;
    // The socket sends in order: what waits is the rest of the snapshot first, then what came after it.
    const unreadAfterSnapshot = Math.min(socket.writableLength, this.written - this.snapshotEnd);
    if (unreadAfterSnapshot > this.options.maxBufferedBytes) this.res.destroy();
  }
}
