import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DbError } from '../../errors.js';
import type { ConformanceBackend } from './store-conformance.js';
import type { ChangeEvent, Store, StoreConfig } from './store.js';

/**
 * `Store.replaceSelected` as every backend must do it (called by describeStoreConformance, so LMDB and
 * PostgreSQL both run it): the selection is replaced exactly, everything else is untouched, a broken
 * merge changes nothing, and a no-op commits nothing.
 */

const TAG = 'managed';

async function rejection(p: Promise<unknown>): Promise<DbError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DbError) return err;
    throw err;
  }
  throw new Error('expected a DbError');
}

const svc = (name: string, tags: string[] = [TAG]) => ({ id: randomUUID(), name, host: 'h', tags });

/** Registers the selective-replace suite for one backend. */
export function describeSelectedReplaceConformance(name: string, backend: ConformanceBackend): void {
  let store: Store;
  let clock = 1_700_000_000;

  describe(`${name} store conformance: replaceSelected`, () => {
    beforeEach(async () => {
      store = await backend.open({ fresh: true, now: () => clock });
    });

    afterEach(async () => {
      await store.close();
      await backend.cleanup?.();
    });

    it('replaces exactly the tagged entities and leaves the others as they were', async () => {
      const mine = svc('mine');
      const stale = svc('stale');
      const theirs = svc('theirs', ['other']);
      const theirRoute = { id: randomUUID(), name: 'their-route', service: { id: theirs.id }, tags: [] };
      await store.transaction(async (tx) => {
        for (const s of [mine, stale, theirs]) await tx.insert('services', s);
        await tx.insert('routes', theirRoute);
      });
      const before = await store.snapshot();
      const events: ChangeEvent[] = [];
      store.onChange((e) => events.push(e));
      clock += 10;
      const fresh = svc('fresh');
      const config: StoreConfig = {
        _format_version: '3.0',
        services: [{ ...mine, host: 'changed' }, fresh],
        routes: [{ id: randomUUID(), name: 'fresh-route', service: { id: fresh.id }, tags: [TAG] }],
      };
      const result = await store.replaceSelected(config, TAG);
      expect(result.version).toBe(before.version + 1);
      const ops = result.changes.map(
        (c) => `${c.op} ${c.family} ${String(c.entity?.name ?? c.previous?.name)}`,
      );
      expect(ops.sort()).toEqual(
        [
          'create routes fresh-route',
          'create services fresh',
          'delete services stale',
          'update services mine',
        ].sort(),
      );
      expect(events).toEqual([{ version: result.version, changes: result.changes }]);
      // The untagged entities are byte for byte what they were, timestamps included.
      const theirsBefore = before.config.services?.find((s) => s.id === theirs.id);
      expect(await store.get('services', theirs.id)).toEqual(theirsBefore);
      expect(await store.get('routes', theirRoute.id)).toEqual(before.config.routes?.[0]);
      expect(await store.getByField('services', 'name', 'stale')).toBeNull();
      const mineAfter = await store.get('services', mine.id);
      expect(mineAfter).toMatchObject({
        host: 'changed',
        created_at: before.config.services?.find((s) => s.id === mine.id)?.created_at,
      });

      // The same selection again: nothing changes and nothing is committed.
      const again = await store.replaceSelected(config, TAG);
      expect(again).toEqual({ version: result.version, changes: [] });
      expect(events).toHaveLength(1);
    });

    it('refuses a merge that breaks a rule, or an untagged entity, and changes nothing', async () => {
      const theirs = svc('taken', ['other']);
      const mine = svc('mine');
      const route = { id: randomUUID(), name: 'r', service: { id: mine.id }, tags: ['other'] };
      await store.transaction(async (tx) => {
        await tx.insert('services', theirs);
        await tx.insert('services', mine);
        await tx.insert('routes', route);
      });
      const before = await store.snapshot();
      // A name an unmanaged entity holds.
      const clash = await rejection(
        store.replaceSelected({ _format_version: '3.0', services: [mine, svc('taken')] }, TAG),
      );
      expect(clash.kind).toBe('UNIQUE_VIOLATION');
      // Deleting a managed service an unmanaged route still references.
      const orphan = await rejection(store.replaceSelected({ _format_version: '3.0' }, TAG));
      expect(orphan.kind).toBe('FOREIGN_KEY_VIOLATION');
      // A posted entity without the tag would escape the selection.
      const untagged = await rejection(
        store.replaceSelected({ _format_version: '3.0', services: [mine, svc('loose', [])] }, TAG),
      );
      expect(untagged.kind).toBe('DECLARATIVE_CONFIG');
      expect(untagged.message).toContain(`does not carry the tag '${TAG}'`);
      expect(await store.snapshot()).toEqual(before);
    });
  });
}
