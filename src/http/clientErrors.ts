import type { Server } from 'node:http';
import type { Metrics } from '../metrics/createMetrics';

/**
 * Requests Node's HTTP parser refuses before Express sees them (malformed, headers over 16 kB) get a JSON answer,
 * and are counted by status in `presence_client_errors_total`: no route ever sees them, so
 * `http_request_duration_seconds` cannot. Not logged: anyone can send these, and a line each would be a flood's.
 */
export function answerClientErrors(server: Server, metrics: Pick<Metrics, 'clientErrors'>): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || error.code === 'ECONNRESET') return socket.destroy();
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    metrics.clientErrors.inc({ status });
    const body = JSON.stringify({ success: false, error: status === 431 ? 'Request headers too large' : 'Bad request' });
    socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
}
