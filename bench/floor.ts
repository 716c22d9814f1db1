/**
 * The floor of the stream scenario: the barest fan-out server that could serve the same streams and changes, in
 * its own process (`node dist/bench/floor.js`). node:http, no framework, no authentication, no store, no
 * validation: a stream names its users in `ids=a,b,…` and gets their presence, then one `res.write` of one event
 * per change of a watched user; `POST /api/v1/users.setStatus` (the caller named by X-User-Id) changes a user
 * and writes the event to its watchers at once; `GET /healthz` answers at once. Its events are the service's bytes
 * (the same user objects), so what the service costs above it is the service's own.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerMeasurements } from './childMemory';
import { benchProfile, boundChildLifetime, childMaxMsFromEnv, toParent, type BaselineReady, type FloorServe, type ParentMessage } from './protocol';

boundChildLifetime(childMaxMsFromEnv());

interface FloorUser {
  _id: string;
  name: string;
  username: string;
  status: string;
  utcOffset: number;
  statusText?: string;
}

const HEADERS = { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform', 'X-Accel-Buffering': 'no' };

function serve({ ids, allOnline }: FloorServe): void {
  const users = new Map<string, FloorUser>();
  ids.forEach((id, i) => {
    const { name, username, utcOffset } = benchProfile(i);
    users.set(id, { _id: id, name, username, status: allOnline || i % 2 === 0 ? 'online' : 'offline', utcOffset });
  });
  const watchers = new Map<string, Set<ServerResponse>>();
  let position = 0;

  const event = (list: FloorUser[], full: boolean) => `id: ${position}\nevent: presence\ndata: ${JSON.stringify({ users: list, full })}\n\n`;

  function openStream(req: IncomingMessage, res: ServerResponse): void {
    const wanted = new URL(req.url ?? '/', 'http://floor').searchParams.get('ids')?.split(',') ?? [];
    res.writeHead(200, HEADERS);
    res.write('retry: 3000\n\n');
    const present = wanted.map((id) => users.get(id)).filter((user): user is FloorUser => user !== undefined && user.status !== 'offline');
    res.write(event(present, true));
    for (const id of wanted) {
      let set = watchers.get(id);
      if (set === undefined) {
        set = new Set();
        watchers.set(id, set);
      }
      set.add(res);
    }
    res.on('close', () => {
      for (const id of wanted) watchers.get(id)?.delete(res);
    });
  }

  function setStatus(req: IncomingMessage, res: ServerResponse): void {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const { status, message } = JSON.parse(body) as { status: string; message: string };
      const user = users.get(String(req.headers['x-user-id']));
      if (user !== undefined) {
        user.status = status;
        user.statusText = message;
        position += 1;
        const text = event([user], false);
        for (const watcher of watchers.get(user._id) ?? []) watcher.write(text);
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"success":true}');
    });
  }

  const server = createServer((req, res) => {
    // The writer opens its connections with it before the changes (connectedWriter).
    if (req.url === '/healthz') res.end('{"status":"ok"}');
    else if (req.method === 'POST') setStatus(req, res);
    else openStream(req, res);
  });
  server.listen(0, '127.0.0.1', () => {
    const ready: BaselineReady = { type: 'ready', port: (server.address() as AddressInfo).port };
    toParent(ready);
  });
  answerMeasurements(() => {
    server.closeAllConnections();
    process.exit(0);
  });
}

process.once('message', (message: ParentMessage) => {
  if (message.type === 'floor') serve(message);
});
