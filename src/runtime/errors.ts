import { HybridgateError } from '../shared/errors.js';

/** A configuration property (conf file, environment) that is missing or invalid; the node exits 1. */
export class ConfError extends HybridgateError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('HG_ERR_CONF', message, context);
  }
}

/**
 * Kong's database error codes (kong/db/errors.lua) with the HTTP status the Admin API answers with.
 * One table, so the Admin API, the declarative loader and the store agree.
 */
export const DB_ERROR_CODES = {
  INVALID_PRIMARY_KEY: { code: 1, name: 'invalid primary key', status: 400 },
  SCHEMA_VIOLATION: { code: 2, name: 'schema violation', status: 400 },
  PRIMARY_KEY_VIOLATION: { code: 3, name: 'primary key violation', status: 400 },
  FOREIGN_KEY_VIOLATION: { code: 4, name: 'foreign key violation', status: 400 },
  UNIQUE_VIOLATION: { code: 5, name: 'unique constraint violation', status: 409 },
  NOT_FOUND: { code: 6, name: 'not found', status: 404 },
  INVALID_OFFSET: { code: 7, name: 'invalid offset', status: 400 },
  DATABASE_ERROR: { code: 8, name: 'database error', status: 500 },
  INVALID_SIZE: { code: 9, name: 'invalid size', status: 400 },
  INVALID_UNIQUE: { code: 10, name: 'invalid unique', status: 400 },
  INVALID_OPTIONS: { code: 11, name: 'invalid options', status: 400 },
  OPERATION_UNSUPPORTED: { code: 12, name: 'operation unsupported', status: 405 },
  FOREIGN_KEYS_UNRESOLVED: { code: 13, name: 'foreign keys unresolved', status: 400 },
  DECLARATIVE_CONFIG: { code: 14, name: 'invalid declarative configuration', status: 400 },
  TRANSFORMATION_ERROR: { code: 15, name: 'transformation error', status: 400 },
  INVALID_FOREIGN_KEY: { code: 16, name: 'invalid foreign key', status: 400 },
  REFERENCED_BY_OTHERS: { code: 19, name: 'referenced by others', status: 400 },
  INVALID_SEARCH_QUERY: { code: 20, name: 'invalid search query', status: 400 },
  /** Not Kong's: the store is unreachable (PostgreSQL down); writes answer 503. */
  DATABASE_UNAVAILABLE: { code: 8, name: 'database error', status: 503 },
} as const;

export type DbErrorKind = keyof typeof DB_ERROR_CODES;

/** Nested field errors as Kong reports them: `{ "config": { "minute": "expected an integer" } }`. */
export interface FieldErrors {
  [field: string]: string | FieldErrors | (string | FieldErrors | null)[];
}

/**
 * An error whose body the Admin API sends as Kong does: `{ code, name, message, fields }`.
 * Thrown by schemas, the store and the declarative loader alike.
 */
export class DbError extends HybridgateError {
  readonly kind: DbErrorKind;
  readonly fields: FieldErrors | undefined;

  constructor(
    kind: DbErrorKind,
    message: string,
    fields?: FieldErrors,
    context: Record<string, unknown> = {},
  ) {
    super(`HG_ERR_DB_${kind}`, message, context);
    this.kind = kind;
    this.fields = fields;
  }

  /** The HTTP status the Admin API answers with. */
  get status(): number {
    return DB_ERROR_CODES[this.kind].status;
  }

  /** Kong's error body. */
  toBody(): { code: number; name: string; message: string; fields?: FieldErrors } {
    const { code, name } = DB_ERROR_CODES[this.kind];
    return this.fields === undefined
      ? { code, name, message: this.message }
      : { code, name, message: this.message, fields: this.fields };
  }
}
