import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  dropSchema,
  freshSchema,
  pgConnection,
  waitFor,
} from '../../../../../test/postgres/pg-store-support.js';
import { startPgServer, type PgServer } from '../../../../../test/postgres/pg-server.js';
import { testDefinitions } from '../test-definitions.js';
import { bootstrap, MigrationError, reset, schemaState, up, type MigrationOptions } from './migrations.js';
import { openPostgresStore } from './postgres-store.js';
import { MIGRATIONS } from './schema.js';

let server: PgServer;

beforeAll(async () => {
  server = await startPgServer();
});

afterAll(async () => {
  await server?.close();
});

function options(schema: string | null, migrations = MIGRATIONS) {
  const lines: string[] = [];
  const opts: MigrationOptions = {
    connection: pgConnection(server, schema),
    migrations,
    log: (l) => lines.push(l),
  };
  return { opts, lines };
}

async function tables(schema: string): Promise<string[]> {
  const c = await server.client();
  try {
    const res = await c.query<{ t: string }>(
      'SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1',
      [schema],
    );
    return res.rows.map((r) => r.t);
  } finally {
    await c.end();
  }
}

const EXTRA = [...MIGRATIONS, { name: '001_extra', up: 'CREATE TABLE extra_things (x int)' }];

describe('postgres migrations', () => {
  it('bootstraps an empty database, then re-runs are no-ops, up runs only what is new, reset empties', async () => {
    const schema = freshSchema('m');
    const { opts, lines } = options(schema);
    expect(await schemaState(opts)).toEqual({
      needsBootstrap: true,
      executed: [],
      newMigrations: ['000_base'],
      unknown: [],
    });
    await expect(up(opts)).rejects.toThrow(
      new MigrationError(
        "Cannot run migrations: database needs bootstrapping; run 'hybridgate migrations bootstrap'",
      ),
    );
    expect(await reset(opts)).toBe(false);
    expect(lines.splice(0)).toEqual(['Database not bootstrapped, nothing to reset']);

    const state = await bootstrap(opts);
    expect(state).toEqual({ needsBootstrap: false, executed: ['000_base'], newMigrations: [], unknown: [] });
    expect(lines.splice(0)).toEqual([
      'Bootstrapping database...',
      "migrating hybridgate on database 'hybridgate_test'...",
      'hybridgate migrated up to: 000_base (executed)',
      '1 migration processed',
      '1 executed',
      'Database is up-to-date',
    ]);
    expect(await tables(schema)).toEqual([
      'hg_changes',
      'hg_entities',
      'hg_records',
      'hg_refs',
      'hg_state',
      'hg_unique_keys',
      'schema_meta',
    ]);
    await bootstrap(opts);
    await up(opts);
    expect(lines.splice(0)).toEqual(['Database already bootstrapped', 'Database is already up-to-date']);

    // A newer build brings a migration: stores refuse to open until `up` ran it.
    const newer = options(schema, EXTRA);
    expect((await schemaState(newer.opts)).newMigrations).toEqual(['001_extra']);
    await expect(
      openPostgresStore({
        connection: newer.opts.connection,
        definitions: testDefinitions(),
        migrations: EXTRA,
      }),
    ).rejects.toThrow(
      new MigrationError("New migrations available (001_extra); run 'hybridgate migrations up' to proceed"),
    );
    await up(newer.opts);
    expect(newer.lines).toContain('hybridgate migrated up to: 001_extra (executed)');
    expect(await schemaState(newer.opts)).toEqual({
      needsBootstrap: false,
      executed: ['000_base', '001_extra'],
      newMigrations: [],
      unknown: [],
    });
    // ...and the older build sees a migration it does not know, but still runs.
    expect((await schemaState(opts)).unknown).toEqual(['001_extra']);

    expect(await reset(opts)).toBe(true);
    expect(lines.splice(0)).toEqual(['Resetting database...', 'Database successfully reset']);
    expect(await tables(schema)).toEqual(['extra_things']);
    expect((await schemaState(opts)).needsBootstrap).toBe(true);
    await dropSchema(server, schema);
  });

  it('leaves nothing behind when a migration fails', async () => {
    const schema = freshSchema('m');
    await bootstrap(options(schema).opts);
    const broken = [
      ...MIGRATIONS,
      { name: '001_broken', up: 'CREATE TABLE half_done (x int); SELECT no_such_function()' },
    ];
    await expect(up(options(schema, broken).opts)).rejects.toThrow(
      /^migration 001_broken failed: function no_such_function\(\) does not exist$/,
    );
    expect(await tables(schema)).not.toContain('half_done');
    expect((await schemaState(options(schema, broken).opts)).newMigrations).toEqual(['001_broken']);
    await dropSchema(server, schema);
  });

  it('works without pg_schema (the server’s search_path)', async () => {
    const { opts } = options(null);
    await bootstrap(opts);
    expect(await tables('public')).toContain('hg_entities');
    const store = await openPostgresStore({ connection: opts.connection, definitions: testDefinitions() });
    await store.transaction((tx) => tx.insert('services', { id: crypto.randomUUID(), name: 'p', host: 'h' }));
    expect(await store.version()).toBe(1);
    await store.close();
    expect(await reset(opts)).toBe(true);
    expect(await tables('public')).toEqual([]);
  });
});

describe('postgres migrations from two processes at once', () => {
  const loader = fileURLToPath(new URL('../../../../../test/postgres/ts-loader.mjs', import.meta.url));
  const child = fileURLToPath(new URL('../../../../../test/postgres/migrate-child.ts', import.meta.url));

  interface ChildResult {
    code: number | null;
    out: { ok: boolean; error?: string; lines: string[]; state?: { executed: string[] } } | null;
    stderr: string;
  }

  function runChild(command: string, schema: string): Promise<ChildResult> {
    const { NODE_OPTIONS: _drop, ...env } = process.env;
    const proc = spawn(process.execPath, ['--import', loader, child, command], {
      env: { ...env, HG_TEST_PG: JSON.stringify(pgConnection(server, schema)) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    return new Promise((resolve) => {
      proc.on('close', (code) => {
        let out: ChildResult['out'];
        try {
          out = JSON.parse(stdout.trim()) as ChildResult['out'];
        } catch {
          out = null; // the child died before printing: the assertions show its stderr
        }
        resolve({ code, out, stderr });
      });
    });
  }

  /** Holds the migrations lock so both children are provably waiting on it before either runs. */
  async function raceUnderLock(schema: string, command: string): Promise<ChildResult[]> {
    const holder = await server.client();
    try {
      await holder.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [
        `hybridgate.migrations.${schema}`,
      ]);
      const runs = [runChild(command, schema), runChild(command, schema)];
      await waitFor(
        async () => {
          const res = await holder.query(
            "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
          );
          return res.rows[0]?.n === 2;
        },
        'both processes waiting on the migrations lock',
        20_000,
      );
      await holder.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [
        `hybridgate.migrations.${schema}`,
      ]);
      return await Promise.all(runs);
    } finally {
      await holder.end();
    }
  }

  it('bootstrap: one process migrates, the other finds it done; up: the new migration runs once', async () => {
    const schema = freshSchema('p');
    const boots = await raceUnderLock(schema, 'bootstrap');
    for (const r of boots)
      expect({ code: r.code, ok: r.out?.ok, stderr: r.stderr }).toMatchObject({ code: 0, ok: true });
    const lines = boots.map((r) => r.out?.lines ?? []);
    expect(lines.filter((l) => l.includes('Bootstrapping database...'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('Database already bootstrapped'))).toHaveLength(1);
    expect(boots[0]?.out?.state?.executed).toEqual(['000_base', '001_test_once']);

    // Again with up: bootstrap with the base only, then two processes bring 001_test_once.
    await reset(options(schema).opts);
    await dropSchema(server, schema);
    await bootstrap(options(schema).opts);
    const ups = await raceUnderLock(schema, 'up');
    for (const r of ups)
      expect({ code: r.code, ok: r.out?.ok, stderr: r.stderr }).toMatchObject({ code: 0, ok: true });
    const upLines = ups.flatMap((r) => r.out?.lines ?? []);
    expect(upLines.filter((l) => l === 'hybridgate migrated up to: 001_test_once (executed)')).toHaveLength(
      1,
    );
    expect(upLines.filter((l) => l === 'Database is already up-to-date')).toHaveLength(1);
    expect((await schemaState(options(schema).opts)).unknown).toEqual(['001_test_once']);
    await dropSchema(server, schema);
  });
});
