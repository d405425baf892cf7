import type { IncomingMessage } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
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

/**
 * Streams a body of unknown or large size, failing the stream with BodyTooLargeError once it passes
 * `limit` (0 = unlimited). The client's stream is piped into this one, so undici can destroy it on
 * an upstream failure without tearing down the client's socket.
 */
export function limitedBodyStream(req: IncomingMessage, limit: number): Transform {
  let seen = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      seen += chunk.length;
      if (limit > 0 && seen > limit) cb(new BodyTooLargeError(limit));
      else cb(null, chunk);
    },
  });
  req.pipe(t);
  req.once('error', (err) => t.destroy(err));
  return t;
}
