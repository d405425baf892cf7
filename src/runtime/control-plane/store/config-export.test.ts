import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENTITY_DEFINITIONS } from '../../config/entities/index.js';
import { EMPTY_CONFIG_HASH, configHashes } from '../../config/hash.js';
import { createConfigExporter, omitDisabled } from './config-export.js';
import { openLmdbStore } from './lmdb-store.js';
import type { Store } from './store.js';

let dir: string;
let store: Store;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hg-export-'));
  store = await openLmdbStore({
    path: join(dir, 'store.lmdb'),
    mapSize: 32 * 1024 * 1024,
    definitions: ENTITY_DEFINITIONS,
  });
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('config exporter', () => {
  it('exports and hashes once per version', async () => {
    const exporter = createConfigExporter(store);
    const empty = await exporter.current();
    expect(empty.version).toBe(0);
    expect(empty.hashes.services).toBe(EMPTY_CONFIG_HASH);
    expect(await exporter.current()).toBe(empty);
    await store.transaction((tx) =>
      tx.insert('services', { id: randomUUID(), name: 'x', host: 'x.example', port: 80 }),
    );
    const next = await exporter.current();
    expect(next).not.toBe(empty);
    expect(next.version).toBe(1);
    expect(next.config.services).toHaveLength(1);
    expect(next.hashes).toEqual(configHashes(next.config));
    expect(next.hashes.services).not.toBe(EMPTY_CONFIG_HASH);
    expect(next.hashes.routes).toBe(EMPTY_CONFIG_HASH);
  });
});

describe('omitDisabled', () => {
  it('drops disabled services with their routes and plugins, and disabled plugins', () => {
    const on = { id: 's-on', enabled: true };
    const off = { id: 's-off', enabled: false };
    const r1 = { id: 'r1', service: { id: 's-on' } };
    const r2 = { id: 'r2', service: { id: 's-off' } };
    const plugins = [
      { id: 'p1', enabled: true, service: null, route: { id: 'r1' } },
      { id: 'p2', enabled: true, service: null, route: { id: 'r2' } },
      { id: 'p3', enabled: true, service: { id: 's-off' }, route: null },
      { id: 'p4', enabled: false, service: null, route: null },
      { id: 'p5', enabled: true, service: null, route: null },
    ];
    const out = omitDisabled({ _format_version: '3.0', services: [on, off], routes: [r1, r2], plugins });
    expect(out.services).toEqual([on]);
    expect(out.routes).toEqual([r1]);
    expect(out.plugins?.map((p) => p.id)).toEqual(['p1', 'p5']);
    const untouched = { _format_version: '3.0', services: [on] };
    expect(omitDisabled(untouched)).toBe(untouched);
  });
});
