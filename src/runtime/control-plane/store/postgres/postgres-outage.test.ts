import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DbError } from '../../../errors.js';
import { freshSchema, pgConnection, waitFor } from '../../../../../test/postgres/pg-store-support.js';
import { startPgServer, type PgServer } from '../../../../../test/postgres/pg-server.js';
import type { ChangeEvent } from '../store.js';
import { testDefinitions } from '../test-definitions.js';
import { bootstrap, MigrationError } from './migrations.js';
import { openPostgresStore, type PostgresStore } from './postgres-store.js';

/** The database goes away and comes back: typed 503 errors meanwhile, recovery without a new store. */

let server: PgServer;
const stores: PostgresStore[] = [];

const svc = (name: string) => ({ id: randomUUID(), name, host: 'h' });

async function unavailable(p: Promise<unknown>): Promise<DbError> {
  const err = await p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
  if (!(err instanceof DbError)) throw err;
  expect(err.kind).toBe('DATABASE_UNAVAILABLE');
  expect(err.status).toBe(503);
  expect(err.message).toMatch(/^the database is unavailable \(/);
  return err;
}

beforeAll(async () => {
  server = await startPgServer();
});

afterAll(async () => {
  for (const s of stores) await s.close();
  await server?.close();
});

describe('postgres store: database outages', () => {
  it('answers 503-style errors while the database is down and recovers on its own when it returns', async () => {
    const schema = freshSchema('o');
    await bootstrap({ connection: pgConnection(server, schema) });
    const open = () =>
      openPostgresStore({
        connection: pgConnection(server, schema, 1000),
        definitions: testDefinitions(),
        pollIntervalMs: 200,
      });
    const a = await open();
    const b = await open();
    stores.push(a, b);
    const eventsB: ChangeEvent[] = [];
    b.onChange((e) => eventsB.push(e));
    const kept = await a.transaction((tx) => tx.insert('services', svc('before-outage')));
    await waitFor(() => eventsB.length === 1, 'B to see the first write');

    await server.stop();
    expect(await a.ping()).toBe(false);
    await unavailable(a.get('services', kept.id));
    await unavailable(a.list('services', { size: 10 }));
    await unavailable(a.snapshot());
    await unavailable(a.transaction((tx) => tx.insert('services', svc('during-outage'))));
    await unavailable(b.replaceAll({ _format_version: '3.0' }));
    await unavailable(a.records('x').load());
    await waitFor(() => !a.listening && !b.listening, 'both LISTEN connections to notice');
    // What the control plane can still hand to data planes: the last config it saw committed.
    expect(a.lastSnapshot()).toEqual({
      version: 1,
      config: { _format_version: '3.0', _transform: false, services: [kept] },
    });

    await server.start();
    await waitFor(() => a.ping(), 'A to reach the database again');
    await waitFor(() => a.listening && b.listening, 'both stores listening again');
    expect(await a.get('services', kept.id)).toEqual(kept);
    const after = await a.transaction((tx) => tx.insert('services', svc('after-outage')));
    await waitFor(() => eventsB.length === 2, 'B to see the write after the outage', 3000);
    expect(eventsB[1]?.changes[0]?.entity).toEqual(after);
    expect(await b.version()).toBe(2);
    await b.transaction((tx) => tx.update('services', { ...kept, host: 'h2' }));
    expect((await a.get('services', kept.id))?.host).toBe('h2');
  });

  it('refuses to open on an unreachable or unmigrated database with a typed error', async () => {
    const conn = pgConnection(server, freshSchema('n'));
    await expect(openPostgresStore({ connection: conn, definitions: testDefinitions() })).rejects.toThrow(
      new MigrationError("Database needs bootstrapping; run 'hybridgate migrations bootstrap'"),
    );
    const nowhere = { ...conn, port: 1 };
    await unavailable(openPostgresStore({ connection: nowhere, definitions: testDefinitions() }));
    const badPassword = { ...conn, password: 'wrong' };
    const err = await openPostgresStore({ connection: badPassword, definitions: testDefinitions() }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DbError);
    expect((err as DbError).kind).toBe('DATABASE_ERROR');
    expect((err as DbError).message).toMatch(/password authentication failed/);
  });
});
