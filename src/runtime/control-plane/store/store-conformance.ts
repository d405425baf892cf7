import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DbError } from '../../errors.js';
import { describeSelectedReplaceConformance } from './replace-selected-conformance.js';
import type { ChangeEvent, Store } from './store.js';

/**
 * The behaviour every Store backend must share, as one jest suite that each backend's test file calls
 * with a way to open it (`describeStoreConformance('lmdb', ...)`, `describeStoreConformance('postgres',
 * ...)`). The Admin API and the clustering code rely on exactly these semantics and error bodies, so a
 * backend that passes here can replace another one.
 */

/** How the suite opens a backend. */
export interface ConformanceBackend {
  /**
   * Opens a store. `fresh`: on new, empty storage (each test starts with one); otherwise on the same
   * storage as the previous open of this test (a restart). `now` gives the timestamps (unix seconds).
   */
  open(opts: { fresh: boolean; now: () => number; changeLogSize?: number }): Promise<Store>;
  /** Removes what this test's opens created; called after the store is closed. */
  cleanup?(): Promise<void>;
}

async function rejection(p: Promise<unknown>): Promise<DbError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DbError) return err;
    throw err;
  }
  throw new Error('expected a DbError');
}

const svc = (name: string, extra: Record<string, unknown> = {}) => ({
  id: randomUUID(),
  name,
  host: 'h',
  ...extra,
});

/** Registers the shared store suite for one backend. */
export function describeStoreConformance(name: string, backend: ConformanceBackend): void {
  let store: Store;
  let clock = 1_700_000_000;
  const open = (fresh: boolean, changeLogSize?: number) =>
    backend.open({ fresh, now: () => clock, ...(changeLogSize ? { changeLogSize } : {}) });

  describe(`${name} store conformance`, () => {
    beforeEach(async () => {
      store = await open(true);
    });

    afterEach(async () => {
      await store.close();
      await backend.cleanup?.();
    });

    describe('writes and constraints', () => {
      it('inserts, reads by id and by unique field, sets timestamps', async () => {
        const s = svc('a');
        const stored = await store.transaction((tx) => tx.insert('services', s));
        expect(stored).toEqual({ ...s, created_at: clock, updated_at: clock });
        expect(await store.get('services', s.id)).toEqual(stored);
        expect(await store.getByField('services', 'name', 'a')).toEqual(stored);
        expect(await store.getByField('services', 'name', 'b')).toBeNull();
        expect(await store.getByField('services', 'id', s.id)).toEqual(stored);
        await expect(store.getByField('services', 'host', 'h')).rejects.toThrow(TypeError);
      });

      it('refuses a duplicate unique value with Kong’s message and keeps null values apart', async () => {
        await store.transaction((tx) => tx.insert('services', svc('a')));
        const err = await rejection(store.transaction((tx) => tx.insert('services', svc('a'))));
        expect(err.toBody()).toEqual({
          code: 5,
          name: 'unique constraint violation',
          message: `UNIQUE violation detected on '{name="a"}'`,
          fields: { name: 'a' },
        });
        expect(err.status).toBe(409);
        await store.transaction(async (tx) => {
          await tx.insert('consumers', { id: randomUUID(), username: 'x', custom_id: null });
          await tx.insert('consumers', { id: randomUUID(), username: 'y', custom_id: null });
        });
        const b = await store.transaction((tx) => tx.insert('services', svc('b')));
        const taken = await rejection(store.transaction((tx) => tx.update('services', { ...b, name: 'a' })));
        expect(taken.kind).toBe('UNIQUE_VIOLATION');
      });

      it('refuses a duplicate composite unique, foreign keys shown as ids', async () => {
        const up = { id: randomUUID(), name: 'u' };
        await store.transaction(async (tx) => {
          await tx.insert('upstreams', up);
          await tx.insert('targets', { id: randomUUID(), upstream: { id: up.id }, target: 'a:80' });
        });
        const err = await rejection(
          store.transaction((tx) =>
            tx.insert('targets', { id: randomUUID(), upstream: { id: up.id }, target: 'a:80' }),
          ),
        );
        expect(err.message).toBe(`UNIQUE violation detected on '{target="a:80",upstream={id="${up.id}"}}'`);
      });

      it('refuses a foreign key to nothing', async () => {
        const ghost = randomUUID();
        const err = await rejection(
          store.transaction((tx) => tx.insert('routes', { id: randomUUID(), service: { id: ghost } })),
        );
        expect(err.toBody()).toEqual({
          code: 4,
          name: 'foreign key violation',
          message: `the foreign key '{id="${ghost}"}' does not reference an existing 'services' entity.`,
          fields: { service: { id: ghost } },
        });
      });

      it('rolls the whole transaction back on any error', async () => {
        const a = svc('a');
        await rejection(
          store.transaction(async (tx) => {
            await tx.insert('services', a);
            await tx.insert('services', svc('a'));
          }),
        );
        expect(await store.get('services', a.id)).toBeNull();
        expect(await store.version()).toBe(0);
        const own = new Error('caller changed its mind');
        await expect(
          store.transaction(async (tx) => {
            await tx.insert('services', svc('z'));
            throw own;
          }),
        ).rejects.toBe(own);
        expect(await store.getByField('services', 'name', 'z')).toBeNull();
      });

      it('refuses to delete a service that routes reference, cascades plugins', async () => {
        const s = svc('a');
        const route = { id: randomUUID(), name: 'r', service: { id: s.id } };
        const plugin = {
          id: randomUUID(),
          name: 'key-auth',
          service: { id: s.id },
          route: null,
          consumer: null,
        };
        await store.transaction(async (tx) => {
          await tx.insert('services', s);
          await tx.insert('routes', route);
          await tx.insert('plugins', plugin);
        });
        const err = await rejection(store.transaction((tx) => tx.delete('services', s.id)));
        expect(err.toBody()).toEqual({
          code: 4,
          name: 'foreign key violation',
          message: "an existing 'routes' entity references this 'services' entity",
          fields: { '@referenced_by': 'routes' },
        });
        expect(await store.get('plugins', plugin.id)).not.toBeNull();
        const events: ChangeEvent[] = [];
        store.onChange((e) => events.push(e));
        await store.transaction(async (tx) => {
          await tx.delete('routes', route.id);
          await tx.delete('services', s.id);
        });
        expect(await store.get('plugins', plugin.id)).toBeNull();
        expect(events).toHaveLength(1);
        expect(events[0]?.changes.map((c) => `${c.op} ${c.family}`)).toEqual([
          'delete routes',
          'delete plugins',
          'delete services',
        ]);
      });

      it('updates keep created_at, move unique indexes, and delete of an absent id is null', async () => {
        const s = await store.transaction((tx) => tx.insert('services', svc('a')));
        clock += 10;
        const updated = await store.transaction((tx) => tx.update('services', { ...s, name: 'b' }));
        expect(updated.created_at).toBe(s.created_at);
        expect(updated.updated_at).toBe(clock);
        expect(await store.getByField('services', 'name', 'a')).toBeNull();
        expect((await store.getByField('services', 'name', 'b'))?.id).toBe(s.id);
        await store.transaction((tx) => tx.insert('services', svc('a')));
        const missing = await rejection(store.transaction((tx) => tx.update('services', svc('zz'))));
        expect(missing.kind).toBe('NOT_FOUND');
        expect(await store.transaction((tx) => tx.delete('services', randomUUID()))).toBeNull();
        const pk = await rejection(store.transaction((tx) => tx.insert('services', { ...s, name: 'other' })));
        expect(pk.kind).toBe('PRIMARY_KEY_VIOLATION');
      });

      it('sees its own writes inside a transaction and swaps unique values between entities', async () => {
        const [a, b] = await store.transaction(async (tx) => {
          const a = await tx.insert('services', svc('a'));
          expect((await tx.getByField('services', 'name', 'a'))?.id).toBe(a.id);
          return [a, await tx.insert('services', svc('b'))];
        });
        await store.transaction(async (tx) => {
          await tx.update('services', { ...a, name: 'tmp' });
          await tx.update('services', { ...b, name: 'a' });
          await tx.update('services', { ...a, name: 'b' });
        });
        expect((await store.getByField('services', 'name', 'a'))?.id).toBe(b.id);
        expect((await store.getByField('services', 'name', 'b'))?.id).toBe(a.id);
        expect(await store.getByField('services', 'name', 'tmp')).toBeNull();
      });
    });

    describe('reads', () => {
      it('pages through 250 entities with opaque offsets, filters by tags and by foreign key', async () => {
        const ids: string[] = [];
        await store.transaction(async (tx) => {
          for (let i = 0; i < 250; i++) {
            const s = svc(`s${i}`, { tags: i % 2 === 0 ? ['even', `n${i}`] : ['odd'] });
            ids.push(s.id);
            await tx.insert('services', s);
          }
        });
        const seen: string[] = [];
        let offset: string | null = null;
        let pages = 0;
        do {
          const page = await store.list('services', { size: 100, offset });
          seen.push(...page.data.map((e) => e.id));
          offset = page.offset;
          pages++;
        } while (offset);
        expect(pages).toBe(3);
        expect(seen).toEqual([...ids].sort());
        const even = await store.list('services', { size: 1000, tags: ['even'] });
        expect(even.data).toHaveLength(125);
        expect(even.offset).toBeNull();
        const and = await store.list('services', { size: 1000, tags: ['even', 'n4'] });
        expect(and.data.map((e) => e.name)).toEqual(['s4']);
        const or = await store.list('services', { size: 1000, tags: ['odd', 'n4'], tagsMode: 'or' });
        expect(or.data).toHaveLength(126);

        const parent = ids[0] as string;
        await store.transaction(async (tx) => {
          for (let i = 0; i < 3; i++)
            await tx.insert('routes', { id: randomUUID(), service: { id: parent } });
          await tx.insert('routes', { id: randomUUID(), service: { id: ids[1] as string } });
        });
        const first = await store.list('routes', { size: 2, foreign: { field: 'service', id: parent } });
        expect(first.data).toHaveLength(2);
        const second = await store.list('routes', {
          size: 2,
          offset: first.offset,
          foreign: { field: 'service', id: parent },
        });
        expect(second.data).toHaveLength(1);
        expect(second.offset).toBeNull();
        const wrongScope = await rejection(store.list('services', { size: 2, offset: first.offset }));
        expect(wrongScope.kind).toBe('INVALID_OFFSET');
      });

      it('refuses offsets it did not produce', async () => {
        for (const bad of [
          '!!!',
          'abc',
          Buffer.from('[1,"services","x y"]').toString('base64url'),
          'a'.repeat(2000),
        ]) {
          const err = await rejection(store.list('services', { size: 10, offset: bad }));
          expect(err.toBody().code).toBe(7);
          expect(err.message).toContain('is not a valid offset');
        }
      });
    });

    describe('versions, change log, replaceAll, durability', () => {
      it('bumps the version once per committed transaction and serves changesSince from a bounded log', async () => {
        await store.close();
        store = await open(true, 3);
        for (let i = 0; i < 5; i++) await store.transaction((tx) => tx.insert('services', svc(`s${i}`)));
        expect(await store.version()).toBe(5);
        expect(await store.changesSince(5)).toEqual([]);
        const recent = await store.changesSince(3);
        expect(recent?.map((e) => e.version)).toEqual([4, 5]);
        expect(recent?.[0]?.changes[0]?.entity?.name).toBe('s3');
        expect(await store.changesSince(2)).not.toBeNull();
        expect(await store.changesSince(1)).toBeNull();
        expect(await store.changesSince(9)).toBeNull();
        expect(await store.changesSince(1.5)).toBeNull();
        // a transaction that changes nothing does not bump the version
        await store.transaction((tx) => tx.delete('services', randomUUID()));
        expect(await store.version()).toBe(5);
      });

      it('replaceAll swaps everything atomically, reports only differences, and refuses bad references whole', async () => {
        const keep = svc('keep');
        const gone = svc('gone');
        await store.transaction(async (tx) => {
          await tx.insert('services', keep);
          await tx.insert('services', gone);
        });
        const before = await store.snapshot();
        const bad = await rejection(
          store.replaceAll({
            _format_version: '3.0',
            routes: [{ id: randomUUID(), service: { id: randomUUID() } }],
          }),
        );
        expect(bad.kind).toBe('FOREIGN_KEY_VIOLATION');
        expect(await store.snapshot()).toEqual(before);

        const events: ChangeEvent[] = [];
        store.onChange((e) => events.push(e));
        const fresh = svc('fresh');
        const file = {
          _format_version: '3.0',
          services: [{ id: keep.id, name: 'keep', host: 'h' }, fresh],
          routes: [{ id: randomUUID(), service: { id: fresh.id } }],
        };
        const version = await store.replaceAll(file);
        expect(version).toBe(before.version + 1);
        expect(
          events[0]?.changes.map((c) => `${c.op} ${c.family} ${String(c.entity?.name ?? c.previous?.name)}`),
        ).toEqual(['delete services gone', 'create services fresh', 'create routes undefined']);
        const snap = await store.snapshot();
        expect(snap.config.services?.map((s) => s.name).sort()).toEqual(['fresh', 'keep']);
        expect(await store.getByField('services', 'name', 'gone')).toBeNull();
        expect((await store.getByField('services', 'name', 'fresh'))?.id).toBe(fresh.id);
        const keptBefore = before.config.services?.find((e) => e.id === keep.id);
        expect((await store.get('services', keep.id))?.created_at).toBe(keptBefore?.created_at);

        // The same file again: a new version, no differences, timestamps untouched.
        clock += 5;
        expect(await store.replaceAll(file)).toBe(version + 1);
        expect(events[1]).toEqual({ version: version + 1, changes: [] });
        expect((await store.snapshot()).config).toEqual(snap.config);
      });

      it('finds everything again after a restart and continues the version', async () => {
        const s = svc('durable');
        await store.transaction((tx) => tx.insert('services', s));
        await store.transaction((tx) =>
          tx.insert('routes', { id: randomUUID(), name: 'r', service: { id: s.id } }),
        );
        const before = await store.snapshot();
        await store.close();
        store = await open(false);
        expect(await store.snapshot()).toEqual(before);
        const err = await rejection(store.transaction((tx) => tx.insert('services', svc('durable'))));
        expect(err.kind).toBe('UNIQUE_VIOLATION');
        await store.transaction((tx) => tx.insert('services', svc('next')));
        expect(await store.version()).toBe(before.version + 1);
        expect((await store.changesSince(before.version - 1))?.length).toBe(2);
      });

      it('keeps side records across restarts without touching the config version', async () => {
        const rows = store.records<{ id: string; hostname: string }>('data_planes');
        await rows.put('dp-1', { id: 'dp-1', hostname: 'a' });
        await rows.put('dp-2', { id: 'dp-2', hostname: 'b' });
        await rows.put('dp-1', { id: 'dp-1', hostname: 'a' });
        await rows.delete('dp-2');
        expect(await store.version()).toBe(0);
        expect((await store.snapshot()).config).toEqual({ _format_version: '3.0', _transform: false });
        await store.close();
        store = await open(false);
        expect(await store.records('data_planes').load()).toEqual([{ id: 'dp-1', hostname: 'a' }]);
        expect(await store.records('other').load()).toEqual([]);
        expect(() => store.records('../x')).toThrow(TypeError);
        await expect(store.records('ok').put('a/b', {})).rejects.toThrow(TypeError);
      });

      it('delivers every committed change to listeners once, in version order, and survives a failing listener', async () => {
        const events: ChangeEvent[] = [];
        store.onChange(() => {
          throw new Error('a broken listener');
        });
        const off = store.onChange((e) => events.push(e));
        await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            store.transaction((tx) => tx.insert('services', svc(`l${i}`))),
          ),
        );
        expect(events.map((e) => e.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        off();
        await store.transaction((tx) => tx.insert('services', svc('unheard')));
        expect(events).toHaveLength(10);
      });

      it('serialises concurrent transactions and refuses use after close', async () => {
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.transaction((tx) => tx.insert('services', svc(`c${i}`))),
          ),
        );
        expect(await store.version()).toBe(20);
        const dup = await Promise.allSettled([
          store.transaction((tx) => tx.insert('services', svc('race'))),
          store.transaction((tx) => tx.insert('services', svc('race'))),
        ]);
        expect(dup.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
        await store.close();
        expect(await store.ping()).toBe(false);
        expect((await rejection(store.get('services', randomUUID()))).kind).toBe('DATABASE_ERROR');
        store = await open(false);
        expect(await store.ping()).toBe(true);
      });
    });
  });

  describeSelectedReplaceConformance(name, backend);
}
