import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Lets a shutdown end every keep-alive connection as soon as its current answer is sent. Without it an answer
 * in flight says `Connection: keep-alive`, the client sends its next request on that connection, and meets a
 * reset when the process exits. Once draining, every answer not yet begun says `Connection: close` (Node then
 * closes the connection after it), and a connection whose answer is already on its way closes once it is sent.
 */
export class ConnectionDrain {
  private draining = false;
  /** Each open connection's latest request's answer. */
  private readonly current = new Map<Socket, ServerResponse>();

  constructor(private readonly server: Server) {
    server.on('connection', (socket: Socket) => socket.once('close', () => this.current.delete(socket)));
    // First, before the app's own listener, so no answer can begin before this has run.
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      if (this.draining) res.setHeader('Connection', 'close');
      else this.current.set(req.socket, res);
    });
  }

  drain(): void {
    this.draining = true;
    for (const res of this.current.values()) {
      if (!res.headersSent) res.setHeader('Connection', 'close');
      else if (!res.writableFinished) res.once('finish', () => setImmediate(() => this.server.closeIdleConnections()));
    }
    this.current.clear();
    this.server.closeIdleConnections();
  }
}
