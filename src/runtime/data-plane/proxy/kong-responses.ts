import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';

/** The messages Kong answers with when it, not the upstream, produces the response. */
export const KONG_MESSAGES = {
  noRoute: 'no Route matched with those values',
  noService: 'no Service found with those values',
  badGateway: 'An invalid response was received from the upstream server',
  noPeer: 'failure to get a peer from the ring-balancer',
  timeout: 'The upstream server is timed out',
  bodyTooLarge: 'Request size limit exceeded',
  uriTooLong: 'Request-URI Too Long',
  headersTooLarge: 'Request Header Or Cookie Too Large',
  badRequest: 'Bad request',
  useHttps: 'Please use HTTPS protocol',
  internal: 'An unexpected error occurred',
} as const;

const bodies = new Map<string, Buffer>();

function bodyOf(message: string): Buffer {
  let b = bodies.get(message);
  if (b === undefined) {
    b = Buffer.from(JSON.stringify({ message }) + '\n');
    if (bodies.size < 256) bodies.set(message, b);
  }
  return b;
}

/**
 * Sends Kong's JSON error `{"message": ...}` unless the response already started (then the socket is
 * destroyed: a half-sent response must not look complete). Bodies are cached per message.
 */
export function sendKongError(
  res: ServerResponse,
  status: number,
  message: string,
  server: string | null,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = bodyOf(message);
  const headers: Record<string, string | number> = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': body.length,
  };
  if (server !== null) headers.server = server;
  res.writeHead(status, headers);
  res.end(body);
}

/** The same error written raw on a socket that has no ServerResponse (upgrade and parse failures). */
export function writeRawKongError(
  socket: Duplex,
  status: number,
  message: string,
  server: string | null,
): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = bodyOf(message);
  const head =
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${body.length}\r\n` +
    (server !== null ? `Server: ${server}\r\n` : '') +
    'Connection: close\r\n\r\n';
  socket.end(Buffer.concat([Buffer.from(head, 'latin1'), body]));
}
