/**
 * The two baselines, each in its own process: `node dist/bench/baselines.js express|http`. Each answers every
 * request with one fixed body (the same bytes and content type as the service's answer in the scenario being
 * measured), sent by the parent over IPC before the server starts. With an ETag configured, a request whose
 * If-None-Match equals it gets 304 and no body, as the service answers a repeated poll.
 *
 * Both are as lean as the framework allows: the body is a Buffer made once, and Express's own per-request
 * ETag (a hash of the whole body on every response) is off, as it is in the service.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { boundChildLifetime, childMaxMsFromEnv, toParent, type BaselineReady, type BaselineServe, type ParentMessage } from './protocol';

boundChildLifetime(childMaxMsFromEnv());

const kind = process.argv[2];
if (kind !== 'express' && kind !== 'http') {
  process.stderr.write('usage: baselines.js express|http\n');
  process.exit(2);
}

function expressBaseline({ body, contentType, etag }: BaselineServe): Server {
  const bytes = Buffer.from(body);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((req, res) => {
    if (etag !== undefined) {
      res.setHeader('ETag', etag);
      if (req.headers['if-none-match'] === etag) {
        res.status(304).end();
        return;
      }
    }
    res.setHeader('Content-Type', contentType);
    res.send(bytes);
  });
  return app.listen(0, '127.0.0.1');
}

function nodeHttpBaseline({ body, contentType, etag }: BaselineServe): Server {
  const bytes = Buffer.from(body);
  const headers = { 'Content-Type': contentType, 'Content-Length': String(bytes.length) };
  const server = createServer((req, res) => {
    if (etag !== undefined && req.headers['if-none-match'] === etag) {
      res.writeHead(304, { ETag: etag });
      res.end();
      return;
    }
    res.writeHead(200, etag === undefined ? headers : { ...headers, ETag: etag });
    res.end(bytes);
  });
  return server.listen(0, '127.0.0.1');
}

let server: Server | undefined;
process.on('message', (message: ParentMessage) => {
  if (message.type === 'serve' && server === undefined) {
    server = kind === 'express' ? expressBaseline(message) : nodeHttpBaseline(message);
    const listening = server;
    listening.once('listening', () => {
      const ready: BaselineReady = { type: 'ready', port: (listening.address() as AddressInfo).port };
      toParent(ready);
    });
    listening.once('error', (error) => {
      process.stderr.write(`baseline ${kind} failed: ${error.message}\n`);
      process.exit(1);
    });
  } else if (message.type === 'stop') {
    server?.closeAllConnections();
    process.exit(0);
  }
});
