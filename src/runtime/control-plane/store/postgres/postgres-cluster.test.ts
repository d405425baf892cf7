import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import {
  dropSchema,
  freshSchema,
  pgConnection,
  waitFor,
} from '../../../../../test/postgres/pg-store-support.js';
import { startPgServer, type PgServer } from '../../../../../test/postgres/pg-server.js';
import type { ChangeEvent } from '../store.js';
import { testDefinitions } from '../test-definitions.js';
import { bootstrap, reset } from './migrations.js';
import { openPostgresStore, type PostgresStore } from './postgres-store.js';

/** Two control planes on one database: propagation through LISTEN/NOTIFY and constraints under races. */

let server: PgServer;
let schema: string;
let a: PostgresStore;
let b: PostgresStore;
let eventsA: ChangeEvent[];
let eventsB: ChangeEvent[];

const svc = (name: string) => ({ id: randomUUID(), name, host: 'h' });
// A poll far longer than any wait below: what arrives in time came through NOTIFY.
const open = (changeLogSize?: number) =>
  openPostgresStore({
    connection: pgConnection(server, schema),
    definitions: testDefinitions(),
    pollIntervalMs: 60_000,
    ...(changeLogSize ? { changeLogSize } : {}),
  });

beforeAll(async () => {
  server = await startPgServer();
});

afterAll(async () => {
  await server?.close();
});

beforeEach(async () => {
  schema = freshSchema('c');
  await bootstrap({ connection: pgConnection(server, schema) });
  a = await open();
  b = await open();
  eventsA = [];
  eventsB = [];
  a.onChange((e) => eventsA.push(e));
  b.onChange((e) => eventsB.push(e));
  await waitFor(() => a.listening && b.listening, 'both stores listening');
});

afterEach(async () => {
  await a.close();
  await b.close();
  await dropSchema(server, schema);
});

describe('postgres store: several control planes on one database', () => {
  it('delivers a write on one to the other’s listeners within a second, through NOTIFY', async () => {
    const s = await a.transaction((tx) => tx.insert('services', svc('from-a')));
    await waitFor(() => eventsB.length === 1, 'B to see A’s write', 1000);
    expect(eventsB[0]).toEqual({
      version: 1,
      changes: [{ op: 'create', family: 'services', id: s.id, entity: s, previous: null }],
    });
    await b.transaction((tx) => tx.update('services', { ...s, host: 'other' }));
    await waitFor(() => eventsA.length === 2, 'A to see B’s write', 1000);
    expect(eventsA.map((e) => e.version)).toEqual([1, 2]);
    expect(eventsA[1]?.changes[0]?.entity?.host).toBe('other');
    expect(b.lastSnapshot()).toEqual(await a.snapshot());
    await waitFor(() => a.lastSnapshot().version === 2, 'A’s copy at version 2', 1000);
    expect(a.lastSnapshot()).toEqual(await b.snapshot());
  });

  it('keeps unique constraints and one contiguous version sequence under concurrent writes from both', async () => {
    const names = Array.from({ length: 8 }, (_, i) => `race-${i}`);
    const results = await Promise.allSettled(
      names.flatMap((n) => [
        a.transaction((tx) => tx.insert('services', svc(n))),
        b.transaction((tx) => tx.insert('services', svc(n))),
      ]),
    );
    for (let i = 0; i < names.length; i++) {
      const pair = [results[2 * i], results[2 * i + 1]].map((r) => r?.status).sort();
      expect(pair).toEqual(['fulfilled', 'rejected']);
    }
    for (const r of results) {
      if (r.status === 'rejected') expect((r.reason as { kind?: string }).kind).toBe('UNIQUE_VIOLATION');
    }
    const all = await a.list('services', { size: 100 });
    expect(all.data.map((s) => s.name).sort()).toEqual([...names].sort());
    expect(await a.version()).toBe(names.length);
    const expected = names.map((_, i) => i + 1);
    await waitFor(
      () => eventsA.length === names.length && eventsB.length === names.length,
      'all events',
      2000,
    );
    expect(eventsA.map((e) => e.version)).toEqual(expected);
    expect(eventsB.map((e) => e.version)).toEqual(expected);
    expect(eventsA).toEqual(eventsB);
  });

  it('enforces foreign keys across control planes (restrict and cascade decided on current data)', async () => {
    const s = await a.transaction((tx) => tx.insert('services', svc('parent')));
    await b.transaction((tx) => tx.insert('routes', { id: randomUUID(), service: { id: s.id } }));
    // A's copy learns of B's route under the version lock, even before the notification arrives.
    await expect(a.transaction((tx) => tx.delete('services', s.id))).rejects.toMatchObject({
      kind: 'FOREIGN_KEY_VIOLATION',
    });
    const up = await b.transaction((tx) => tx.insert('upstreams', { id: randomUUID(), name: 'u' }));
    const t = await a.transaction((tx) =>
      tx.insert('targets', { id: randomUUID(), upstream: { id: up.id }, target: 'x:1' }),
    );
    await b.transaction((tx) => tx.delete('upstreams', up.id));
    expect(await a.get('targets', t.id)).toBeNull();
    await waitFor(() => eventsA.length === 5, 'A to see the cascade', 1000);
    expect(eventsA[4]?.changes.map((c) => `${c.op} ${c.family}`)).toEqual([
      'delete targets',
      'delete upstreams',
    ]);
  });

  it('re-listens after its LISTEN connection is killed and misses nothing', async () => {
    const admin = await server.client();
    try {
      const killed = await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'hybridgate-listen'",
      );
      expect(killed.rowCount).toBeGreaterThanOrEqual(2);
    } finally {
      await admin.end();
    }
    await a.transaction((tx) => tx.insert('services', svc('while-reconnecting')));
    await waitFor(() => eventsB.length === 1, 'B to catch up after re-listening', 3000);
    await waitFor(() => b.listening, 'B listening again', 3000);
    await a.transaction((tx) => tx.insert('services', svc('after')));
    await waitFor(() => eventsB.length === 2, 'B to see the next write', 1000);
    expect(eventsB.map((e) => e.version)).toEqual([1, 2]);
  });

  it('reloads and reports the difference when the log cannot replay (database reset under it)', async () => {
    const s = await a.transaction((tx) => tx.insert('services', svc('doomed')));
    await waitFor(() => eventsB.length === 1, 'B to see the write', 1000);
    await reset({ connection: pgConnection(server, schema) });
    await bootstrap({ connection: pgConnection(server, schema) });
    // Nothing notifies on a reset: B's next catch-up (here: its own write) finds version 0 < its copy.
    await b.transaction((tx) => tx.insert('services', svc('doomed')));
    expect(eventsB.map((e) => e.version)).toEqual([1, 0, 1]);
    expect(eventsB[1]?.changes).toEqual([
      { op: 'delete', family: 'services', id: s.id, entity: null, previous: s },
    ]);
    expect(b.lastSnapshot().config.services?.map((e) => e.name)).toEqual(['doomed']);
  });
});
