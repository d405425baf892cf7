import { connect } from 'node:net';

/**
 * One HTTP/1.1 exchange over a raw socket, so the fuzz suites can send what no well-behaved client
 * would (invalid UTF-8 in the request line, NUL in headers, conflicting lengths). `Connection: close`
 * is always added; the answer is read until the server closes.
 */

/** A request as bytes on the wire. */
export interface RawRequest {
  method: string;
  /** The request target, sent as is (latin1 bytes). */
  target: string | Buffer;
  headers?: [string, string | Buffer][];
  body?: string | Buffer;
  /** Omit the Content-Length the sender would add for a body. */
  noContentLength?: boolean;
}

/** What came back: the status (0 when the server closed without a status line) and the body text. */
export interface RawResponse {
  status: number;
  head: string;
  body: string;
}

const CRLF = Buffer.from('\r\n');

function encode(req: RawRequest): Buffer {
  const target = typeof req.target === 'string' ? Buffer.from(req.target, 'latin1') : req.target;
  const body = req.body === undefined ? undefined : Buffer.from(req.body);
  const lines: Buffer[] = [
    Buffer.concat([Buffer.from(`${req.method} `, 'latin1'), target, Buffer.from(' HTTP/1.1')]),
  ];
  lines.push(Buffer.from('Host: 127.0.0.1'), Buffer.from('Connection: close'));
  for (const [k, v] of req.headers ?? [])
    lines.push(Buffer.concat([Buffer.from(`${k}: `, 'latin1'), Buffer.from(v)]));
  if (body && !req.noContentLength) lines.push(Buffer.from(`Content-Length: ${body.length}`));
  const head = Buffer.concat([...lines.flatMap((l) => [l, CRLF]), CRLF]);
  return body ? Buffer.concat([head, body]) : head;
}

/** Sends one request and resolves with the response; rejects only on a socket error or the deadline. */
export function rawRequest(port: number, req: RawRequest, timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () => {
      // The server may answer (413, 400) and close before reading everything: that is not an error.
      socket.write(encode(req), () => undefined);
    });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') return;
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const head = split < 0 ? text : text.slice(0, split);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1];
      resolve({ status: status ? Number(status) : 0, head, body: split < 0 ? '' : text.slice(split + 4) });
    });
  });
}
