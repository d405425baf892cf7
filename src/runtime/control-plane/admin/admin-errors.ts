import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../../../shared/logger.js';
import { HybridgateError } from '../../../shared/errors.js';
import { DbError } from '../../errors.js';
import { luaPretty } from '../store/store-errors.js';

/**
 * The Admin API's non-DB errors: Kong answers them with a bare `{ "message": ... }` body (not found,
 * method not allowed, unparsable body), while DB errors carry `{ code, name, message, fields }`.
 */
export class AdminHttpError extends HybridgateError {
  constructor(
    readonly status: number,
    message: string,
    context: Record<string, unknown> = {},
  ) {
    super('HG_ERR_ADMIN_HTTP', message, context);
  }
}

/** 404 with Kong's body, for an entity or a route that is not there. */
export const notFoundError = (context: Record<string, unknown> = {}): AdminHttpError =>
  new AdminHttpError(404, 'Not found', context);

/** Kong's "invalid primary key" for a path segment that must be a UUID (the family has no endpoint key). */
export function invalidPrimaryKey(value: string): DbError {
  const fields = { id: 'expected a valid UUID' };
  return new DbError('INVALID_PRIMARY_KEY', `invalid primary key: '${luaPretty(fields)}'`, fields, { value });
}

/** Kong's "invalid options" (code 11), which reports its details under `options` instead of `fields`. */
export function invalidOptions(options: Record<string, string>): {
  status: number;
  body: Record<string, unknown>;
} {
  const parts = Object.keys(options)
    .sort()
    .map((k) => `${k}: ${options[k]}`);
  const message =
    parts.length === 1
      ? `invalid option (${parts[0]})`
      : `${parts.length} option violations (${parts.join('; ')})`;
  return { status: 400, body: { code: 11, name: 'invalid options', message, options } };
}

/** A request error that already knows its status and Kong body (invalid options). */
export class AdminBodyError extends HybridgateError {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super('HG_ERR_ADMIN_BODY', String(body.message ?? 'bad request'), {});
  }
}

/** Fastify's own client errors (body parsing, limits, media types) mapped to Kong-style bodies. */
function fastifyClientError(err: FastifyError): { status: number; message: string } | null {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, message: 'Request body is too large' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return {
        status: err.statusCode ?? 415,
        message: err.code.endsWith('MEDIA_TYPE') ? 'Unsupported Content-Type' : 'Invalid Content-Length',
      };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, message: 'Cannot parse JSON body' };
    default:
      if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
        return { status: err.statusCode, message: err.message };
      }
      return null;
  }
}

/**
 * The one error handler of the Admin API: typed errors become their status and body; anything
 * unexpected is logged with the request and answered 500 with a generic message (never the details).
 */
export function makeErrorHandler(logger: Logger) {
  return (err: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply => {
    if (err instanceof DbError) {
      if (err.status >= 500)
        logger.error({ err, method: req.method, url: req.url }, 'admin api database error');
      return reply.code(err.status).send(err.toBody());
    }
    if (err instanceof AdminHttpError) return reply.code(err.status).send({ message: err.message });
    if (err instanceof AdminBodyError) return reply.code(err.status).send(err.body);
    const client = fastifyClientError(err as FastifyError);
    if (client) return reply.code(client.status).send({ message: client.message });
    logger.error({ err, method: req.method, url: req.url }, 'admin api unexpected error');
    return reply.code(500).send({ message: 'An unexpected error occurred' });
  };
}
