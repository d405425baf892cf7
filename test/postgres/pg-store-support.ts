import type { PostgresConnection } from '../../src/runtime/control-plane/store/postgres/pg-options.js';
import type { PgServer } from './pg-server.js';

/**
 * Helpers shared by the PostgreSQL store suites: each test gets its own schema (pg_schema) in the test
 * server's database, so suites never see each other's rows.
 */

let counter = 0;

/** A new schema name, unique within this process. */
export function freshSchema(prefix = 't'): string {
  counter++;
  return `${prefix}_${process.pid}_${counter}`;
}

/** The store's connection settings for `server`, in `schema`. */
export function pgConnection(server: PgServer, schema: string | null, timeoutMs = 5000): PostgresConnection {
  return {
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    database: server.database,
    schema,
    ssl: false,
    sslVerify: false,
    timeoutMs,
    maxConcurrentQueries: 0,
  };
}

/** Drops a test schema and everything in it. */
export async function dropSchema(server: PgServer, schema: string): Promise<void> {
  const c = await server.client();
  try {
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await c.end();
  }
}

/** Polls `cond` until it is truthy or `timeoutMs` passes (no fixed sleeps). */
export async function waitFor<T>(cond: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
