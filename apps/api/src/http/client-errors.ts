import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Requests Node's HTTP parser refuses before Express sees them (headers or URL over 16 KB, a
 * malformed request line) are answered in the API's JSON error form too, not as Node's bare
 * status line; then the connection is closed (the parser cannot go on after such a request).
 */
export function answerClientErrorsAsJson(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) return socket.destroy();
    const [status, reason, message] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'request line or headers larger than 16 KB']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout', 'request not received in time']
          : [400, 'Bad Request', `malformed HTTP request (${err.code ?? 'parse error'})`];
    const body = JSON.stringify({ statusCode: status, error: reason, message });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
