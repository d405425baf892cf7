import type { PoolConfig } from 'pg';
import type { Conf } from '../../../config/conf/types.js';
import { ConfError } from '../../../errors.js';

/** How to reach PostgreSQL: Kong's `pg_*` properties, resolved. */
export interface PostgresConnection {
  host: string;
  port: number;
  user: string;
  password: string | null;
  database: string;
  /** The schema holding Hybridgate's tables; null uses the server's `search_path` (usually `public`). */
  schema: string | null;
  ssl: boolean;
  /** Verify the server's certificate (against `sslCa`, else Node's trusted roots). */
  sslVerify: boolean;
  /** PEM bundle trusted for `sslVerify` (Kong uses lua_ssl_trusted_certificate). */
  sslCa?: string;
  /** Connect, read and write timeout in ms (`pg_timeout`). */
  timeoutMs: number;
  /** Queries in flight at once (`pg_max_concurrent_queries`; 0 = the pool's default). */
  maxConcurrentQueries: number;
}

/** Pool size when `pg_max_concurrent_queries` is 0 (Kong: unlimited; a pool needs a bound). */
export const DEFAULT_POOL_SIZE = 10;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** The connection settings of a conf (`database = postgres`); a bad `pg_schema` is a ConfError. */
export function postgresConnectionFromConf(conf: Conf): PostgresConnection {
  const schema = conf.pg_schema && conf.pg_schema.length > 0 ? conf.pg_schema : null;
  if (schema !== null && !IDENTIFIER.test(schema)) {
    throw new ConfError(
      `pg_schema: '${schema}' is not a usable schema name (expected letters, digits and _, not starting with a digit, at most 63)`,
      { property: 'pg_schema' },
    );
  }
  return {
    host: conf.pg_host,
    port: conf.pg_port,
    user: conf.pg_user,
    password: conf.pg_password && conf.pg_password.length > 0 ? conf.pg_password : null,
    database: conf.pg_database,
    schema,
    ssl: conf.pg_ssl,
    sslVerify: conf.pg_ssl_verify,
    timeoutMs: conf.pg_timeout,
    maxConcurrentQueries: conf.pg_max_concurrent_queries,
  };
}

/** A schema name checked as an identifier, quoted for SQL. */
export function quoteIdent(name: string): string {
  if (!IDENTIFIER.test(name)) throw new TypeError(`'${name}' is not a plain SQL identifier`);
  return `"${name}"`;
}

/**
 * The driver's settings. The schema goes into every session's `search_path` at connect time, so the
 * SQL stays unqualified and a pooled connection can never run against another schema.
 */
export function clientConfig(
  c: PostgresConnection,
  applicationName: string,
  timeoutMs = c.timeoutMs,
): PoolConfig {
  const config: PoolConfig = {
    host: c.host,
    port: c.port,
    user: c.user,
    database: c.database,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    keepAlive: true,
    application_name: applicationName,
    max: c.maxConcurrentQueries > 0 ? c.maxConcurrentQueries : DEFAULT_POOL_SIZE,
  };
  if (c.password !== null) config.password = c.password;
  if (c.schema !== null) config.options = `-c search_path=${quoteIdent(c.schema)}`;
  if (c.ssl) config.ssl = { rejectUnauthorized: c.sslVerify, ...(c.sslCa ? { ca: c.sslCa } : {}) };
  return config;
}
