import http from 'node:http';
import net from 'node:net';
import type { Answer } from './shapes';

export interface RawRequest {
  method?: string;
  path: string;
  headers?: http.OutgoingHttpHeaders;
  /** Written in one piece, or chunk by chunk (no Content-Length: chunked transfer encoding). */
  body?: string | Buffer | (string | Buffer)[];
  localAddress?: string;
  agent?: http.Agent | false;
}

export interface RawAnswer extends Answer {
  headers: http.IncomingHttpHeaders;
  json<T = Record<string, unknown>>(): T;
}

/** One request through node:http, for what supertest cannot do (source address, chunked bodies, keep-alive). */
export function send(port: number, request: RawRequest): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: request.method ?? 'GET',
        path: request.path,
        headers: request.headers,
        localAddress: request.localAddress,
        agent: request.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: <T>() => JSON.parse(text) as T });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    const body = request.body;
    if (Array.isArray(body)) for (const chunk of body) req.write(chunk);
    else if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Writes raw bytes on a new connection and returns everything the server sends back until it closes. */
export function sendRaw(port: number, bytes: string | Buffer, waitMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    let received = '';
    // Real time: a real socket to a server that may keep it open; past `waitMs` what came back is the answer.
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(received);
    }, waitMs);
    socket.on('data', (data) => {
      received += data.toString('latin1');
    });
    socket.on('end', () => {
      clearTimeout(timer);
      resolve(received);
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Splits a raw HTTP/1.1 answer into status, headers and body. */
export function parseRawAnswer(raw: string): Answer {
  const [head, ...rest] = raw.split('\r\n\r\n');
  const [statusLine, ...headerLines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, text: Buffer.from(rest.join('\r\n\r\n'), 'latin1').toString('utf8') };
}
