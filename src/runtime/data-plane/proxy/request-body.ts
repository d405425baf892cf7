import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { HybridgateError } from '../../../shared/errors.js';

/** Bodies up to this size (with a Content-Length) are buffered, so a failed attempt can be retried. */
export const BUFFERED_BODY_LIMIT = 1 << 20;

/** The client sent more body than nginx_http_client_max_body_size allows. */
export class BodyTooLargeError extends HybridgateError {
  constructor(limit: number) {
    super('HG_ERR_BODY_TOO_LARGE', `request body exceeds ${limit} bytes`, { limit });
  }
}

/** Whether a request carries a body at all (Content-Length > 0 or Transfer-Encoding). */
export function hasBody(req: IncomingMessage): boolean {
  const cl = req.headers['content-length'];
  return (cl !== undefined && cl !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/** Reads a whole (small, length-announced) body; rejects when the client aborts. */
export function readBody(req: IncomingMessage, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      chunks.push(c);
    });
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.once('error', reject);
    req.once('close', () => {
      if (!req.complete)
        reject(new Error(`client aborted the request body after ${size} of ${length} bytes`));
    });
  });
}

/** The upstream accepted no body bytes for write_timeout ms (nginx proxy_send_timeout): a 504. */
export class UpstreamWriteTimeoutError extends HybridgateError {
  constructor(timeoutMs: number) {
    super('HG_ERR_WRITE_TIMEOUT', `upstream accepted no request body bytes for ${timeoutMs} ms`, {
      writeTimeoutMs: timeoutMs,
    });
  }
}

/**
 * The body stream undici sends upstream, fed from the client's request: fails with BodyTooLargeError
 * once it passes `limit` (0 = unlimited), and with UpstreamWriteTimeoutError when the upstream side
 * stops taking data (undici stops reading us because the socket is full) for `writeTimeoutMs` between
 * two successive writes, as nginx's proxy_send_timeout (Kong's write_timeout) does. A slow client is
 * not an upstream write stall, so the timer only runs while our buffer is full. undici may destroy
 * this stream on an upstream failure without tearing down the client's socket.
 */
class UpstreamBodyStream extends Readable {
  private seen = 0;
  private stall: NodeJS.Timeout | null = null;
  private readonly onData = (chunk: Buffer): void => {
    this.seen += chunk.length;
    if (this.limit > 0 && this.seen > this.limit) return void this.destroy(new BodyTooLargeError(this.limit));
    if (!this.push(chunk)) {
      this.req.pause();
      if (this.writeTimeoutMs > 0 && this.stall === null)
        this.stall = setTimeout(this.onStall, this.writeTimeoutMs);
    }
  };
  private readonly onStall = (): void => {
    this.stall = null;
    this.destroy(new UpstreamWriteTimeoutError(this.writeTimeoutMs));
  };
  private readonly onEnd = (): void => void this.push(null);
  private readonly onError = (err: Error): void => void this.destroy(err);
  private readonly onClose = (): void => {
    if (!this.req.complete) this.destroy(new Error('client aborted the request body'));
  };

  constructor(
    private readonly req: IncomingMessage,
    private readonly limit: number,
    private readonly writeTimeoutMs: number,
  ) {
    super();
    req.on('data', this.onData);
    req.once('end', this.onEnd);
    req.once('error', this.onError);
    req.once('close', this.onClose);
  }

  override _read(): void {
    if (this.stall !== null) {
      clearTimeout(this.stall);
      this.stall = null;
    }
    this.req.resume();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.stall !== null) clearTimeout(this.stall);
    this.stall = null;
    this.req.off('data', this.onData);
    this.req.off('end', this.onEnd);
    this.req.off('error', this.onError);
    this.req.off('close', this.onClose);
    // Unread client bytes are drained, so the client still gets our answer on its connection.
    this.req.resume();
    cb(err);
  }
}

/** A streamed upstream body with the size limit and write_timeout enforced (see UpstreamBodyStream). */
export function limitedBodyStream(req: IncomingMessage, limit: number, writeTimeoutMs = 0): Readable {
  return new UpstreamBodyStream(req, limit, writeTimeoutMs);
}
