import { describe, it, expect, afterEach } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENTITY_DEFINITIONS } from '../../../config/entities/index.js';
import type { Entity, EntityName } from '../../../config/entities/definition.js';
import { validateEntity } from '../../../config/entities/validate.js';
import { configHashes } from '../../../config/hash.js';
import { exportForDataPlanes } from '../../../node/config-export.js';
import { openLmdbStore } from '../../store/lmdb-store.js';
import type { Store, WriteTxn } from '../../store/store.js';
import { createStoreSources } from './delta-source.js';
import { DataPlaneExport } from './export-state.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function openStore(): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), 'hg-export-state-'));
  const store = await openLmdbStore({
    path: join(dir, 'store'),
    mapSize: 64 * 1024 * 1024,
    definitions: ENTITY_DEFINITIONS,
  });
  cleanups.push(
    () => rmSync(dir, { recursive: true, force: true }),
    () => store.close(),
  );
  return store;
}

const uuid = (kind: number, n: number) =>
  `00000000-0000-4000-8000-${String(kind)}${String(n).padStart(11, '0')}`;
const e = (family: EntityName, input: Record<string, unknown>) => validateEntity(family, input);

// A small deterministic generator, so a failure replays the same sequence.
function rng(seed: number) {
  let x = seed;
  return (n: number) => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x % n;
  };
}

describe('DataPlaneExport from change events', () => {
  it('stays equal to a full export (config and hashes) through random changes, hiding rules included', async () => {
    const store = await openStore();
    const sources = createStoreSources(store);
    cleanups.push(() => sources.close());
    const rand = rng(7);
    const S = 4;
    const R = 12;
    const C = 6;
    await store.transaction(async (tx) => {
      for (let i = 0; i < S; i++)
        await tx.insert('services', e('services', { id: uuid(1, i), host: `h${i}` }));
    });
    await sources.delta.current();
    const step = async (tx: WriteTxn) => {
      const what = rand(9);
      const i = rand(R);
      const s = rand(S);
      if (what <= 2) {
        await tx.upsert(
          'routes',
          e('routes', { id: uuid(2, i), paths: [`/r${i}-${rand(100)}`], service: { id: uuid(1, s) } }),
        );
      } else if (what === 3) {
        if (await tx.get('routes', uuid(2, i))) await tx.delete('routes', uuid(2, i));
      } else if (what === 4) {
        const svc = (await tx.get('services', uuid(1, s)))!;
        await tx.update('services', { ...svc, enabled: svc.enabled === false });
      } else if (what === 5) {
        // One cors plugin per route (plugins are unique per name and scope).
        if (await tx.get('routes', uuid(2, i)))
          await tx.upsert(
            'plugins',
            e('plugins', { id: uuid(3, i), name: 'cors', enabled: rand(3) > 0, route: { id: uuid(2, i) } }),
          );
      } else if (what === 6) {
        await tx.upsert(
          'plugins',
          e('plugins', { id: uuid(4, s), name: 'key-auth', service: { id: uuid(1, s) } }),
        );
      } else if (what === 7) {
        const c = rand(C);
        await tx.upsert('consumers', e('consumers', { id: uuid(5, c), username: `u${c}` }));
        await tx.upsert(
          'keyauth_credentials',
          e('keyauth_credentials', {
            id: uuid(6, c),
            key: `k${c}-${rand(100)}`,
            consumer: { id: uuid(5, c) },
          }),
        );
      } else {
        const c = rand(C);
        if (await tx.get('consumers', uuid(5, c))) await tx.delete('consumers', uuid(5, c));
      }
    };
    for (let round = 0; round < 60; round++) {
      // Some versions carry several changes, and some changes are read only versions later.
      await store.transaction(async (tx) => {
        for (let k = 0; k < 1 + rand(3); k++) await step(tx);
      });
      if (rand(3) === 0) continue;
      const got = await sources.delta.current();
      const want = exportForDataPlanes(await store.snapshot());
      expect(got.version).toBe(want.version);
      expect(got.config).toEqual(want.config);
      expect(got.hashes).toEqual(want.hashes);
      expect(got.hashes).toEqual(configHashes(got.config));
      const routes = (want.config.routes ?? []) as Entity[];
      for (const r of routes) expect(got.find!('routes', r.id)).toEqual(r);
    }
    // A route moving to a disabled service takes its plugins out of the export with it.
    await store.transaction(async (tx) => {
      const s0 = (await tx.get('services', uuid(1, 0)))!;
      const s1 = (await tx.get('services', uuid(1, 1)))!;
      await tx.update('services', { ...s0, enabled: false });
      await tx.update('services', { ...s1, enabled: true });
      await tx.upsert('routes', e('routes', { id: uuid(2, 99), paths: ['/m'], service: { id: uuid(1, 1) } }));
      await tx.upsert('plugins', e('plugins', { id: uuid(3, 99), name: 'cors', route: { id: uuid(2, 99) } }));
    });
    expect((await sources.delta.current()).find!('plugins', uuid(3, 99))).not.toBeNull();
    await store.transaction(async (tx) => {
      await tx.upsert('routes', e('routes', { id: uuid(2, 99), paths: ['/m'], service: { id: uuid(1, 0) } }));
    });
    const moved = await sources.delta.current();
    expect(moved.find!('plugins', uuid(3, 99))).toBeNull();
    expect(moved.hashes).toEqual(exportForDataPlanes(await store.snapshot()).hashes);
    // One full export at start; every later version came from the events.
    expect(sources.stats.full).toBe(1);
    expect(sources.stats.incremental).toBeGreaterThan(50);
  });

  it('keeps earlier versions intact, refuses an event that is not the next version, and rebuilds on a gap', async () => {
    const store = await openStore();
    await store.transaction(async (tx) => {
      await tx.insert('services', e('services', { id: uuid(1, 0), host: 'a' }));
    });
    const state = DataPlaneExport.fromSnapshot(await store.snapshot());
    const v1 = state.current();
    const frozen = structuredClone(v1.config);
    const route = e('routes', { id: uuid(2, 0), paths: ['/x'], service: { id: uuid(1, 0) } });
    const change = {
      op: 'create' as const,
      family: 'routes' as const,
      id: route.id,
      entity: route,
      previous: null,
    };
    expect(state.apply({ version: v1.version + 2, changes: [change] })).toBe(false);
    expect(state.current()).toBe(v1);
    expect(state.apply({ version: v1.version + 1, changes: [change] })).toBe(true);
    expect(state.current().config.routes).toEqual([route]);
    expect(v1.config).toEqual(frozen);

    // A gap in what the sources saw (a listener that missed a commit) is filled from the store's log.
    const sources = createStoreSources(store);
    cleanups.push(() => sources.close());
    await sources.delta.current();
    sources.close();
    await store.transaction(async (tx) => {
      await tx.insert('routes', route);
    });
    const cur = await sources.delta.current();
    expect(cur.config).toEqual(exportForDataPlanes(await store.snapshot()).config);
    expect(sources.stats).toEqual({ full: 1, incremental: 1 });
  });
});
