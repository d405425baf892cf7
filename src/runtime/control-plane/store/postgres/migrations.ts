import pg from 'pg';
import { HybridgateError } from '../../../../shared/errors.js';
import { clientConfig, quoteIdent, type PostgresConnection } from './pg-options.js';
import { toDbError } from './pg-errors.js';
import { MIGRATIONS, OWNED_TABLES, type Migration } from './schema.js';

/**
 * `hybridgate migrations` as `kong migrations` does it, for the PostgreSQL store: a Kong-shaped
 * `schema_meta` table (one row for subsystem `hybridgate`), the numbered migrations of schema.ts, and a
 * PostgreSQL advisory lock around every change so several control planes may run the same command at
 * once: the first one migrates, the others wait, re-read the state and find nothing left to do.
 */

/** The subsystem row of schema_meta (Kong's own rows, if the database is shared, are left alone). */
export const SUBSYSTEM = 'hybridgate';

/** Where the database stands relative to this build's migrations. */
export interface SchemaState {
  /** No schema_meta row for this subsystem: `bootstrap` is needed. */
  needsBootstrap: boolean;
  executed: string[];
  /** Known to this build, not yet run: `up` runs them. */
  newMigrations: string[];
  /** Recorded in the database but unknown to this build (a newer version migrated it). */
  unknown: string[];
}

/** A migration command that cannot proceed (not bootstrapped, lock not obtained). */
export class MigrationError extends HybridgateError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('HG_ERR_MIGRATIONS', message, context);
  }
}

/** Options of every migration command. */
export interface MigrationOptions {
  connection: PostgresConnection;
  /** Defaults to this build's MIGRATIONS (tests pass their own). */
  migrations?: readonly Migration[];
  /** Seconds to wait for another node holding the migrations lock (Kong's --lock-timeout, 60). */
  lockTimeoutS?: number;
  /** Seconds any statement may take (Kong's --db-timeout, 60). */
  dbTimeoutS?: number;
  /** Progress lines (Kong's wording). */
  log?: (line: string) => void;
}

type Client = pg.Client;

async function withClient<T>(opts: MigrationOptions, fn: (c: Client) => Promise<T>): Promise<T> {
  const timeoutS = Math.max(opts.dbTimeoutS ?? 60, opts.lockTimeoutS ?? 60) + 5;
  const { max: _max, ...config } = clientConfig(opts.connection, 'hybridgate-migrations', timeoutS * 1000);
  const client = new pg.Client(config);
  client.on('error', () => undefined); // surfaced by the failing query instead
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw toDbError(err, 'connecting to run migrations');
  }
  try {
    return await fn(client);
  } catch (err) {
    if (err instanceof HybridgateError) throw err;
    throw toDbError(err, 'running migrations');
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function withLock<T>(c: Client, opts: MigrationOptions, fn: () => Promise<T>): Promise<T> {
  const lockTimeoutS = opts.lockTimeoutS ?? 60;
  const key = `hybridgate.migrations.${opts.connection.schema ?? ''}`;
  await c.query(`SET lock_timeout = '${Math.max(1, Math.round(lockTimeoutS * 1000))}ms'`);
  try {
    await c.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [key]);
  } catch (err) {
    if ((err as { code?: string }).code === '55P03') {
      throw new MigrationError(
        `timed out after ${lockTimeoutS}s waiting for another node to finish its database changes`,
        { lock: key },
      );
    }
    throw err;
  }
  await c.query('SET lock_timeout = 0');
  try {
    return await fn();
  } finally {
    await c.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]).catch(() => undefined);
  }
}

async function readState(c: Client, migrations: readonly Migration[]): Promise<SchemaState> {
  const table = await c.query<{ present: boolean }>(
    "SELECT to_regclass('schema_meta') IS NOT NULL AS present",
  );
  let executed: string[] = [];
  let needsBootstrap = true;
  if (table.rows[0]?.present) {
    const row = await c.query<{ executed: string[] | null }>(
      "SELECT executed FROM schema_meta WHERE key = 'schema_meta' AND subsystem = $1",
      [SUBSYSTEM],
    );
    if (row.rows[0]) {
      needsBootstrap = false;
      executed = row.rows[0].executed ?? [];
    }
  }
  const known = new Set(migrations.map((m) => m.name));
  const done = new Set(executed);
  return {
    needsBootstrap,
    executed,
    newMigrations: needsBootstrap
      ? migrations.map((m) => m.name)
      : migrations.filter((m) => !done.has(m.name)).map((m) => m.name),
    unknown: executed.filter((name) => !known.has(name)),
  };
}

async function inTransaction(c: Client, fn: () => Promise<void>): Promise<void> {
  await c.query('BEGIN');
  try {
    await fn();
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

async function runPending(c: Client, opts: MigrationOptions, state: SchemaState): Promise<SchemaState> {
  const migrations = opts.migrations ?? MIGRATIONS;
  const log = opts.log ?? (() => undefined);
  const pending = migrations.filter((m) => state.newMigrations.includes(m.name));
  if (pending.length === 0) return state;
  log(`migrating ${SUBSYSTEM} on database '${opts.connection.database}'...`);
  for (const m of pending) {
    try {
      await inTransaction(c, async () => {
        await c.query(m.up);
        await c.query(
          `UPDATE schema_meta SET last_executed = $2, executed = array_append(coalesce(executed, '{}'), $2)
           WHERE key = 'schema_meta' AND subsystem = $1`,
          [SUBSYSTEM, m.name],
        );
      });
    } catch (err) {
      throw new MigrationError(`migration ${m.name} failed: ${(err as Error).message}`, {
        migration: m.name,
      });
    }
    log(`${SUBSYSTEM} migrated up to: ${m.name} (executed)`);
  }
  log(`${pending.length} migration${pending.length === 1 ? '' : 's'} processed`);
  log(`${pending.length} executed`);
  return readState(c, migrations);
}

/** The database's migration state (no lock: a read). */
export async function schemaState(opts: MigrationOptions): Promise<SchemaState> {
  return withClient(opts, (c) => readState(c, opts.migrations ?? MIGRATIONS));
}

/** `migrations bootstrap`: creates schema_meta (and pg_schema) and runs every migration; no-op if done. */
export async function bootstrap(opts: MigrationOptions): Promise<SchemaState> {
  const log = opts.log ?? (() => undefined);
  return withClient(opts, (c) =>
    withLock(c, opts, async () => {
      const state = await readState(c, opts.migrations ?? MIGRATIONS);
      if (!state.needsBootstrap) {
        log('Database already bootstrapped');
        return state;
      }
      log('Bootstrapping database...');
      await inTransaction(c, async () => {
        if (opts.connection.schema)
          await c.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(opts.connection.schema)}`);
        await c.query(`CREATE TABLE IF NOT EXISTS schema_meta (
          key text, subsystem text, last_executed text, executed text[], pending text[],
          PRIMARY KEY (key, subsystem))`);
        await c.query(
          "INSERT INTO schema_meta (key, subsystem, executed, pending) VALUES ('schema_meta', $1, '{}', '{}')",
          [SUBSYSTEM],
        );
      });
      const after = await runPending(c, opts, await readState(c, opts.migrations ?? MIGRATIONS));
      log('Database is up-to-date');
      return after;
    }),
  );
}

/** `migrations up`: runs the migrations not run yet; refuses a database that was never bootstrapped. */
export async function up(opts: MigrationOptions): Promise<SchemaState> {
  const log = opts.log ?? (() => undefined);
  return withClient(opts, async (c) => {
    const first = await readState(c, opts.migrations ?? MIGRATIONS);
    if (first.needsBootstrap) {
      throw new MigrationError(
        "Cannot run migrations: database needs bootstrapping; run 'hybridgate migrations bootstrap'",
      );
    }
    return withLock(c, opts, async () => {
      // Another node may have migrated while this one waited for the lock.
      const state = await readState(c, opts.migrations ?? MIGRATIONS);
      if (state.newMigrations.length === 0) {
        log('Database is already up-to-date');
        return state;
      }
      return runPending(c, opts, state);
    });
  });
}

/** `migrations reset`: drops the store's tables and this subsystem's row; false when never bootstrapped. */
export async function reset(opts: MigrationOptions): Promise<boolean> {
  const log = opts.log ?? (() => undefined);
  return withClient(opts, async (c) => {
    if ((await readState(c, opts.migrations ?? MIGRATIONS)).needsBootstrap) {
      log('Database not bootstrapped, nothing to reset');
      return false;
    }
    return withLock(c, opts, async () => {
      log('Resetting database...');
      await inTransaction(c, async () => {
        for (const table of OWNED_TABLES.filter((t) => t !== 'schema_meta')) {
          await c.query(`DROP TABLE IF EXISTS ${table} CASCADE`);
        }
        await c.query("DELETE FROM schema_meta WHERE key = 'schema_meta' AND subsystem = $1", [SUBSYSTEM]);
        // Kong's rows may share the table: drop it only when nothing else is recorded there.
        const left = await c.query('SELECT 1 FROM schema_meta LIMIT 1');
        if (left.rowCount === 0) await c.query('DROP TABLE schema_meta');
      });
      log('Database successfully reset');
      return true;
    });
  });
}

/** Refuses to open a store on a database that is not bootstrapped or lacks this build's migrations. */
export function assertSchemaCurrent(state: SchemaState): void {
  if (state.needsBootstrap) {
    throw new MigrationError("Database needs bootstrapping; run 'hybridgate migrations bootstrap'");
  }
  if (state.newMigrations.length > 0) {
    throw new MigrationError(
      `New migrations available (${state.newMigrations.join(', ')}); run 'hybridgate migrations up' to proceed`,
      { pending: state.newMigrations },
    );
  }
}
