import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Agent, request } from 'undici';
import { dropSchema, freshSchema, pgConnection } from '../../../../test/postgres/pg-store-support.js';
import { startPgServer, type PgServer } from '../../../../test/postgres/pg-server.js';
import { createLogger } from '../../../shared/logger.js';
import { BUNDLED_PLUGINS } from '../../config/conf/properties.js';
import { ENTITY_DEFINITIONS } from '../../config/entities/index.js';
import { openLmdbStore } from '../store/lmdb-store.js';
import { bootstrap } from '../store/postgres/migrations.js';
import { openPostgresStore } from '../store/postgres/postgres-store.js';
import type { Store } from '../store/store.js';
import { buildAdminApp } from './admin-app.js';
import { registerConfigRoutes } from './config-routes.js';
import { kongEntityModel } from './entity-model.js';
import { registerEntityRoutes } from './entity-routes.js';
import { ServerCounters } from './server-counters.js';

/** POST /config?select_tags and ?dry_run through a real Admin API on loopback, on both store backends. */

const TAG = 'gitops';
const FILE = {
  _format_version: '3.0',
  services: [
    {
      name: 'echo',
      url: 'http://echo.internal:8080',
      tags: [TAG],
      routes: [{ name: 'echo-route', paths: ['/echo'], tags: [TAG] }],
    },
    { name: 'other', host: 'other.internal', tags: [TAG] },
  ],
};

interface Backend {
  name: string;
  open(): Promise<Store>;
  cleanup(): Promise<void>;
}

let pg: PgServer;
beforeAll(async () => {
  pg = await startPgServer();
});
afterAll(async () => {
  await pg?.close();
});

let lmdbDir = '';
let schema = '';
const backends: Backend[] = [
  {
    name: 'lmdb',
    open: () => {
      lmdbDir = mkdtempSync(join(tmpdir(), 'hg-selected-'));
      return openLmdbStore({
        path: join(lmdbDir, 'store.lmdb'),
        mapSize: 64 * 1024 * 1024,
        definitions: ENTITY_DEFINITIONS,
      });
    },
    cleanup: async () => rmSync(lmdbDir, { recursive: true, force: true }),
  },
  {
    name: 'postgres',
    open: async () => {
      schema = freshSchema('sel');
      await bootstrap({ connection: pgConnection(pg, schema) });
      return openPostgresStore({ connection: pgConnection(pg, schema), definitions: ENTITY_DEFINITIONS });
    },
    cleanup: () => dropSchema(pg, schema),
  },
];

describe.each(backends)('POST /config?select_tags on $name', (backend) => {
  let store: Store;
  let app: FastifyInstance;
  let base: string;
  const agent = new Agent({ keepAliveTimeout: 10 });

  beforeEach(async () => {
    store = await backend.open();
    const model = kongEntityModel(BUNDLED_PLUGINS);
    app = buildAdminApp({
      logger: createLogger({ component: 'test', level: 'silent' }),
      counters: new ServerCounters(),
      modules: [
        (a) => registerEntityRoutes(a, { store, model }),
        (a) => registerConfigRoutes(a, { store, model }),
      ],
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await app.close();
    await store.close();
    await backend.cleanup();
  });
  afterAll(() => agent.close());

  async function call(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown) {
    const res = await request(`${base}${path}`, {
      method,
      dispatcher: agent,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await res.body.text();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are read freely by the assertions
    return { status: res.statusCode, json: (text === '' ? null : JSON.parse(text)) as Record<string, any> };
  }

  it('replaces only the tagged entities, counts per family, and leaves the rest alone', async () => {
    const mine = await call('POST', '/services', { name: 'hand-made', host: 'hand.internal' });
    expect(mine.status).toBe(201);
    const first = await call('POST', `/config?select_tags=${TAG}`, FILE);
    expect(first.status).toBe(201);
    expect(first.json.families).toEqual({
      services: { created: 2, updated: 0, deleted: 0, unchanged: 0 },
      routes: { created: 1, updated: 0, deleted: 0, unchanged: 0 },
    });
    expect(first.json.config.services.map((s: { name: string }) => s.name).sort()).toEqual(['echo', 'other']);

    // Drop 'other', change the route: one update, one delete, one unchanged service.
    const next = {
      _format_version: '3.0',
      services: [
        { ...FILE.services[0]!, routes: [{ name: 'echo-route', paths: ['/echo', '/v2'], tags: [TAG] }] },
      ],
    };
    const version = await store.version();
    const second = await call('POST', `/config?select_tags=${TAG}`, next);
    expect(second.status).toBe(201);
    expect(second.json.families).toEqual({
      services: { created: 0, updated: 0, deleted: 1, unchanged: 1 },
      routes: { created: 0, updated: 1, deleted: 0, unchanged: 0 },
    });
    expect(second.json.entities).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ op: 'delete', family: 'services', name: 'other' }),
        expect.objectContaining({ op: 'update', family: 'routes', name: 'echo-route' }),
      ]),
    );
    expect(second.json.version).toBe(version + 1);
    // The untagged service is exactly what it was.
    expect((await call('GET', `/services/hand-made`)).json).toEqual(mine.json);
    const exported = await call('GET', `/config?select_tags=${TAG}`);
    expect(exported.json.services.map((s: { name: string }) => s.name)).toEqual(['echo']);
    expect((await call('GET', '/config')).json.services).toHaveLength(2);

    // The same file again: 200, nothing changed, no new version.
    const same = await call('POST', `/config?select_tags=${TAG}`, next);
    expect(same.status).toBe(200);
    expect(same.json.total).toEqual({ created: 0, updated: 0, deleted: 0, unchanged: 2 });
    expect(await store.version()).toBe(version + 1);
  });

  it('refuses untagged entities, clashes with unmanaged ones and orphaned references, changing nothing', async () => {
    await call('POST', `/config?select_tags=${TAG}`, FILE);
    const taken = await call('POST', '/services', { name: 'taken', host: 'taken.internal' });
    const plugin = await call('POST', '/plugins', { name: 'cors', service: { id: await echoId() } });
    expect(plugin.status).toBe(201);
    const before = await store.snapshot();

    const untagged = await call('POST', `/config?select_tags=${TAG}`, {
      _format_version: '3.0',
      services: [{ name: 'echo', host: 'e.internal', tags: [TAG], routes: [{ name: 'r', paths: ['/r'] }] }],
    });
    expect(untagged.status).toBe(400);
    expect(untagged.json.code).toBe(14);
    expect(untagged.json.message).toContain(`services[0].routes[0].tags: must contain '${TAG}'`);

    const clash = await call('POST', `/config?select_tags=${TAG}`, {
      _format_version: '3.0',
      services: [
        { name: 'echo', host: 'e.internal', tags: [TAG] },
        { name: 'taken', host: 'x.internal', tags: [TAG] },
      ],
    });
    expect(clash.status).toBe(400);
    expect(clash.json.code).toBe(14);
    expect(clash.json.message).toMatch(
      /services\[1\]\.(id|name): uniqueness violation.*by a stored entity not tagged 'gitops'/,
    );

    // Deleting 'echo' would orphan the hand-made plugin that references it.
    const orphan = await call('POST', `/config?select_tags=${TAG}`, { _format_version: '3.0' });
    expect(orphan.status).toBe(400);
    expect(orphan.json.code).toBe(14);
    expect(orphan.json.message).toContain("plugins 'cors'");
    expect(orphan.json.message).toContain("(stored, not tagged 'gitops') service: invalid reference");

    const badTag = await call('POST', '/config?select_tags=a,b', FILE);
    expect(badTag.status).toBe(400);
    expect(badTag.json.code).toBe(11);
    expect(await store.snapshot()).toEqual(before);
    expect(taken.status).toBe(201);
  });

  it('dry_run reports what would change and changes nothing', async () => {
    await call('POST', `/config?select_tags=${TAG}`, FILE);
    await call('PATCH', '/routes/echo-route', { paths: ['/drifted'] });
    await call('POST', '/services', { name: 'sneaked-in', host: 's.internal', tags: [TAG] });
    const before = await store.snapshot();
    const dry = await call('POST', `/config?select_tags=${TAG}&dry_run=1`, FILE);
    expect(dry.status).toBe(200);
    expect(dry.json.dry_run).toBe(true);
    expect(dry.json.families).toEqual({
      services: { created: 0, updated: 0, deleted: 1, unchanged: 2 },
      routes: { created: 0, updated: 1, deleted: 0, unchanged: 0 },
    });
    expect(dry.json.entities.map((e: { op: string; name: string }) => `${e.op} ${e.name}`).sort()).toEqual([
      'delete sneaked-in',
      'update echo-route',
    ]);
    expect(await store.snapshot()).toEqual(before);
    // A full replace can be previewed too: everything not in the file would go.
    const full = await call('POST', '/config?dry_run=1', FILE);
    expect(full.json.total).toMatchObject({ deleted: 1, updated: 1 });
    expect(await store.snapshot()).toEqual(before);
  });

  async function echoId(): Promise<string> {
    return (await call('GET', '/services/echo')).json.id as string;
  }
});
