import { afterAll } from '@jest/globals';
import { bootstrap } from '../../src/runtime/control-plane/store/postgres/migrations.js';
import { dropSchema, freshSchema, pgConnection } from '../postgres/pg-store-support.js';
import { startPgServer, type PgServer } from '../postgres/pg-server.js';

/**
 * Which store the Admin API suites run on. The suites themselves never name a backend: each file runs
 * on LMDB as it is, and test/admin/postgres/<file> runs the same file again on PostgreSQL through
 * runAdminSuiteOn('postgres', ...). One throwaway PostgreSQL server per suite file (started on the
 * first harness that needs it), one schema per harness, so harnesses never see each other's rows.
 */

/** The store backends the Admin API suites run on. */
export type AdminBackend = 'lmdb' | 'postgres';

let backend: AdminBackend = 'lmdb';
let server: Promise<PgServer> | null = null;
// A restart on the same prefix must find the same database: the prefix remembers its schema.
const schemaOfPrefix = new Map<string, string>();

/** The backend harnesses of this test file start on. */
export function adminBackend(): AdminBackend {
  return backend;
}

/**
 * The conf overrides that put a harness on the current backend (none for LMDB). PostgreSQL: a fresh
 * migrated schema for a new prefix, the same schema again for a prefix seen before (a restart).
 */
export async function backendOverrides(prefix: string): Promise<Record<string, string>> {
  if (backend === 'lmdb') return {};
  const pg = await (server ??= startPgServer());
  let schema = schemaOfPrefix.get(prefix);
  if (schema === undefined) {
    schema = freshSchema('admin');
    await bootstrap({ connection: pgConnection(pg, schema) });
    schemaOfPrefix.set(prefix, schema);
  }
  return {
    database: 'postgres',
    pg_host: pg.host,
    pg_port: String(pg.port),
    pg_user: pg.user,
    pg_password: pg.password,
    pg_database: pg.database,
    pg_schema: schema,
  };
}

/** Forgets a prefix's database (the harness stopped without keeping its prefix). */
export async function releaseBackend(prefix: string): Promise<void> {
  const schema = schemaOfPrefix.get(prefix);
  if (schema === undefined || server === null) return;
  schemaOfPrefix.delete(prefix);
  await dropSchema(await server, schema);
}

/**
 * Runs an Admin API suite file on `which`: switches the backend, imports the file (which registers its
 * tests), then registers the hook that stops the PostgreSQL server. Registered after the suite's own
 * afterAll hooks, so it runs after every harness of the file has stopped.
 */
export async function runAdminSuiteOn(which: AdminBackend, load: () => Promise<unknown>): Promise<void> {
  backend = which;
  await load();
  afterAll(async () => {
    const pending = server;
    server = null;
    schemaOfPrefix.clear();
    if (pending) await (await pending).close();
  });
}
