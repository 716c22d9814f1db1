/** One real answer of a poll scenario: checked, and given to the baselines so they serve the same bytes. */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { RequestSpec, Scenario } from './pollScenarios';
import type { BaselineServe, BenchUser } from './protocol';

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export function fetchOnce(port: number, spec: { method: string; path: string; headers: Record<string, string> }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: spec.method, path: spec.path, headers: spec.headers, agent: false, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${spec.path} within 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

export interface Probe {
  serve: BaselineServe;
  etag: string | undefined;
  bodyBytes: number;
  headerBytes: number;
  note: string;
}

/** The bytes of an answer's status line and headers, as written on the wire. */
function headerBytesOf(answer: Answer, rawHeaders: number): number {
  return rawHeaders + `HTTP/1.1 ${answer.status} \r\n\r\n`.length;
}

export async function probe(scenario: Scenario, port: number, user: BenchUser, ids: readonly string[]): Promise<Probe> {
  const spec: RequestSpec = scenario.request(user, Date.now(), undefined, ids);
  const first = await fetchOnce(port, spec);
  const note = scenario.check(first.status, first.body);
  const etag = typeof first.headers.etag === 'string' ? first.headers.etag : undefined;
  let measured = first;
  if (scenario.conditional) {
    if (etag === undefined) throw new Error('the full list has no ETag');
    measured = await fetchOnce(port, scenario.request(user, Date.now(), etag, ids));
    if (measured.status !== 304) throw new Error(`If-None-Match with the current ETag got ${measured.status}, not 304`);
  }
  const rawHeaders = Object.entries(measured.headers).reduce((sum, [name, value]) => sum + name.length + 4 + String(value).length, 0);
  return {
    serve: { type: 'serve', body: first.body, contentType: String(first.headers['content-type'] ?? 'application/json'), ...(scenario.conditional ? { etag } : {}) },
    etag,
    bodyBytes: Buffer.byteLength(first.body),
    headerBytes: headerBytesOf(measured, rawHeaders),
    note: scenario.conditional ? `304 to the tag of a ${Buffer.byteLength(first.body)}-byte list (${note})` : note,
  };
}
