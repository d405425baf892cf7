import type { EntityName } from '../../config/entities/definition.js';
import { DbError, type FieldErrors } from '../../errors.js';

/**
 * The store's errors, worded as Kong's kong/db/errors.lua so clients that match on messages keep
 * working. Keys are written the way Kong's pretty-printer shows a Lua table: `{name="x"}`, keys sorted,
 * strings quoted, null as `null`, nested tables inline.
 */

/** Formats a value as Kong's messages show a Lua table (`{id="..."}`). */
export function luaPretty(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `{${value.map(luaPretty).join(',')}}`;
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const parts = Object.keys(obj)
      .sort()
      .map((k) => `${k}=${luaPretty(obj[k])}`);
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(String(value));
}

/** Field errors hold strings or nested objects; unique keys may hold nulls and numbers, so stringify those. */
function asFields(key: Record<string, unknown>): FieldErrors {
  const out: FieldErrors = {};
  for (const [k, v] of Object.entries(key)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v))
      out[k] = asFields(v as Record<string, unknown>);
    else out[k] = typeof v === 'string' ? v : JSON.stringify(v ?? null);
  }
  return out;
}

/** A unique field or composite unique already taken (409). */
export function uniqueViolation(family: EntityName, key: Record<string, unknown>): DbError {
  return new DbError('UNIQUE_VIOLATION', `UNIQUE violation detected on '${luaPretty(key)}'`, asFields(key), {
    family,
  });
}

/** An insert whose id already exists. */
export function primaryKeyViolation(family: EntityName, id: string): DbError {
  return new DbError(
    'PRIMARY_KEY_VIOLATION',
    `primary key violation on key '${luaPretty({ id })}'`,
    { id },
    {
      family,
    },
  );
}

/** A foreign key that references nothing. */
export function foreignKeyInvalid(field: string, id: string, parent: EntityName): DbError {
  return new DbError(
    'FOREIGN_KEY_VIOLATION',
    `the foreign key '${luaPretty({ id })}' does not reference an existing '${parent}' entity.`,
    { [field]: { id } },
    { field, parent },
  );
}

/** A delete refused because a `restrict` foreign key still points at the entity. */
export function foreignKeyRestricted(parent: EntityName, child: EntityName): DbError {
  return new DbError(
    'FOREIGN_KEY_VIOLATION',
    `an existing '${child}' entity references this '${parent}' entity`,
    { '@referenced_by': child },
    { parent, child },
  );
}

/** An update of an entity that is not there. */
export function notFound(family: EntityName, id: string): DbError {
  return new DbError(
    'NOT_FOUND',
    `could not find the entity with primary key '${luaPretty({ id })}'`,
    { id },
    {
      family,
    },
  );
}

/** An offset that this store did not produce (or produced for another listing). */
export function invalidOffset(offset: string, reason: string): DbError {
  return new DbError('INVALID_OFFSET', `'${offset}' is not a valid offset: ${reason}`, undefined, { offset });
}

/** A failure of the backend itself (disk full, map full, corrupt file); never caused by the request. */
export function databaseError(message: string, cause: unknown): DbError {
  const err = new DbError('DATABASE_ERROR', message, undefined, {
    cause: cause instanceof Error ? cause.message : String(cause),
  });
  return err;
}
