import { DbError } from '../../../errors.js';
import { databaseError } from '../store-errors.js';

/**
 * How driver failures become the store's typed errors. Anything that means "PostgreSQL cannot be
 * reached or is not answering" is DATABASE_UNAVAILABLE (the Admin API answers 503 and clients retry);
 * everything else the backend reports is DATABASE_ERROR (500). The store's own DbErrors (constraint
 * violations) and TypeErrors (programming errors: unknown family) pass through untouched.
 */

// Socket-level failures of the driver (Node's errno codes).
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

// SQLSTATEs of a server that is going away, starting, or out of connections.
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '57014']);

// pg raises these as plain Errors without a code.
const UNAVAILABLE_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /query read timeout/i,
  /client has encountered a connection error/i,
  /connection is not queryable/i,
  /cannot use a pool after calling end/i,
];

/** Whether `err` says the database is unreachable rather than that a statement failed. */
export function isUnavailable(err: unknown): boolean {
  // Duck-typed on purpose: errors made by Node's net module may come from another realm (jest's vm).
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08')) return true;
  }
  const nested = (err as { errors?: unknown }).errors;
  if (Array.isArray(nested) && nested.some(isUnavailable)) return true; // AggregateError (IPv4 + IPv6)
  const message = (err as { message?: unknown }).message;
  return typeof message === 'string' && UNAVAILABLE_MESSAGES.some((re) => re.test(message));
}

/** The typed error for a failure while doing `action` (e.g. `reading services`). */
export function toDbError(err: unknown, action: string): Error {
  if (err instanceof DbError || err instanceof TypeError) return err;
  if (isUnavailable(err)) {
    return new DbError(
      'DATABASE_UNAVAILABLE',
      `the database is unavailable (${action}): ${describe(err)}`,
      undefined,
      {
        action,
        cause: describe(err),
      },
    );
  }
  return databaseError(`database error while ${action}: ${describe(err)}`, err);
}

function describe(err: unknown): string {
  const own = typeof err === 'object' && err !== null ? (err as { message?: unknown }).message : undefined;
  const msg = typeof own === 'string' ? own : String(err);
  if (msg) return msg;
  const nested = (err as { errors?: unknown }).errors;
  if (Array.isArray(nested) && nested.length > 0) return nested.map((e) => describe(e)).join('; ');
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'unknown error';
}
