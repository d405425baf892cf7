import { afterEach, describe, expect, it } from '@jest/globals';
import { createManualClock, type ManualClock } from '../../protocol/clock.js';
import {
  createDataPlaneRegistry,
  type DataPlaneRegistry,
  type DataPlaneRowStore,
  type PersistedDataPlaneRow,
} from './data-plane-registry.js';

// Two registries over one row table stand for two CPs on one PostgreSQL database (the records table
// every CP writes); a manual clock drives ping ages and the read-through cache.

const PING = 5;
const DP1 = '00000000-0000-4000-8000-000000000001';
const DP2 = '00000000-0000-4000-8000-000000000002';
const DP3 = '00000000-0000-4000-8000-000000000003';

/** The shared table, counting reads, with a switch to simulate a database outage. */
function sharedTable() {
  const rows = new Map<string, PersistedDataPlaneRow>();
  const state = { loads: 0, down: false };
  const store: DataPlaneRowStore = {
    load: async () => {
      state.loads++;
      if (state.down) throw new Error('connection refused');
      return [...rows.values()].map((r) => structuredClone(r));
    },
    put: async (row) => {
      if (state.down) throw new Error('connection refused');
      rows.set(row.id, structuredClone(row));
    },
    delete: async (id) => {
      rows.delete(id);
    },
  };
  return { rows, state, store };
}

let clock: ManualClock;
const started: DataPlaneRegistry[] = [];
afterEach(() => {
  for (const r of started.splice(0)) r.stop();
});

async function cp(id: string, store: DataPlaneRowStore, errors: unknown[] = []) {
  const registry = createDataPlaneRegistry({
    purgeDelaySeconds: 120,
    clock,
    store,
    pingIntervalSeconds: PING,
    onStoreError: (err) => errors.push(err),
  });
  started.push(registry);
  await registry.start(id);
  return registry;
}

const connect = (r: DataPlaneRegistry, id: string, hostname: string) =>
  r.upsert(id, { ip: '127.0.0.1', hostname, version: '0.1.0', sync_status: 'normal' });

/** Lets fire-and-forget row writes settle (they are promise callbacks, no timers). */
const settle = () => new Promise((r) => setImmediate(r));

/** Moves past the read-through cache and reads again. */
async function later(r: DataPlaneRegistry, ms = 1000) {
  clock.advance(ms);
  await r.refresh();
}

describe('data plane rows shared by several control planes', () => {
  it('lists every DP of the cluster on either CP, each CP tagging its own rows', async () => {
    clock = createManualClock();
    const table = sharedTable();
    const a = await cp('cp-a', table.store);
    const b = await cp('cp-b', table.store);
    connect(a, DP1, 'dp-1');
    connect(b, DP2, 'dp-2');
    await settle();
    expect(table.rows.get(DP1)?.control_plane_id).toBe('cp-a');
    expect(table.rows.get(DP2)?.control_plane_id).toBe('cp-b');

    await later(a);
    await later(b, 0);
    for (const r of [a, b]) {
      const rows = r.list();
      expect(rows.map((x) => [x.hostname, x.status])).toEqual([
        ['dp-1', 'connected'],
        ['dp-2', 'connected'],
      ]);
      // The writer's id is bookkeeping, never part of the Admin API row.
      expect(rows.every((x) => !('control_plane_id' in x))).toBe(true);
    }
    expect(a.list('local').map((x) => x.hostname)).toEqual(['dp-1']);
    expect(a.get(DP2)).toBeUndefined();
  });

  it('reads the table at most once per cache period, concurrent listings sharing one read', async () => {
    clock = createManualClock();
    const table = sharedTable();
    const a = await cp('cp-a', table.store);
    const b = await cp('cp-b', table.store);
    const before = table.state.loads;
    connect(b, DP2, 'dp-2');
    await settle();
    await Promise.all([a.refresh(), a.refresh(), a.refresh()]);
    expect(table.state.loads).toBe(before);
    expect(a.list().map((x) => x.hostname)).toEqual([]);
    clock.advance(1000);
    await Promise.all([a.refresh(), a.refresh(), a.refresh()]);
    expect(table.state.loads).toBe(before + 1);
    expect(a.list().map((x) => x.hostname)).toEqual(['dp-2']);
  });

  it('shows another CP’s DP as disconnected once its pings stop for two intervals', async () => {
    clock = createManualClock();
    const table = sharedTable();
    const a = await cp('cp-a', table.store);
    const b = await cp('cp-b', table.store);
    connect(b, DP2, 'dp-2');
    await settle();
    await later(a);
    expect(a.list()[0]?.status).toBe('connected');
    // cp-b dies without a word: its row keeps saying connected, its last_seen ages.
    await later(a, 2 * PING * 1000 - 1000);
    expect(a.list()[0]?.status).toBe('connected');
    await later(a, 1000);
    expect(a.list()[0]?.status).toBe('disconnected');
    // Alive after all: the next ping refreshes the row.
    b.seen(DP2, 'c'.repeat(32));
    await settle();
    await later(a);
    expect(a.list()[0]).toMatchObject({ status: 'connected', config_hash: 'c'.repeat(32) });
  });

  it('shows a DP that moved by the CP it is on now, on both CPs', async () => {
    clock = createManualClock();
    const table = sharedTable();
    const a = await cp('cp-a', table.store);
    const b = await cp('cp-b', table.store);
    connect(a, DP1, 'dp-1');
    clock.advance(3000);
    a.upsert(DP1, { status: 'disconnected' });
    connect(b, DP1, 'dp-1');
    await settle();
    await later(a);
    await later(b, 0);
    expect(a.get(DP1)?.status).toBe('disconnected');
    for (const r of [a, b])
      expect(r.list().map((x) => [x.hostname, x.status])).toEqual([['dp-1', 'connected']]);
  });

  it('a restarted CP takes back only its own rows and still lists the others', async () => {
    clock = createManualClock();
    const table = sharedTable();
    const a = await cp('cp-a', table.store);
    const b = await cp('cp-b', table.store);
    connect(a, DP1, 'dp-1');
    connect(b, DP2, 'dp-2');
    await settle();
    a.stop();
    const again = await cp('cp-a', table.store);
    expect(again.list('local').map((x) => [x.hostname, x.status])).toEqual([['dp-1', 'disconnected']]);
    expect(again.list().map((x) => [x.hostname, x.status])).toEqual([
      ['dp-1', 'disconnected'],
      ['dp-2', 'connected'],
    ]);
  });

  it('purges a dead CP’s stale rows and forgets another CP’s row on request', async () => {
    clock = createManualClock();
    const table = sharedTable();
    const a = await cp('cp-a', table.store);
    const b = await cp('cp-b', table.store);
    connect(b, DP2, 'dp-2');
    connect(b, DP3, 'dp-3');
    await settle();
    b.stop();
    await later(a, 119_000);
    expect(a.purge()).toBe(0);
    await later(a);
    expect(a.purge()).toBe(2);
    await settle();
    expect(table.rows.size).toBe(0);

    const c = await cp('cp-c', table.store);
    connect(c, DP3, 'dp-3');
    await settle();
    await later(a);
    expect(a.remove(DP3)).toBe(true);
    expect(a.remove(DP3)).toBe(false);
    await settle();
    expect(table.rows.has(DP3)).toBe(false);
  });

  it('keeps listing what it last read while the database is down', async () => {
    clock = createManualClock();
    const table = sharedTable();
    const errors: unknown[] = [];
    const a = await cp('cp-a', table.store, errors);
    const b = await cp('cp-b', table.store);
    connect(b, DP2, 'dp-2');
    await settle();
    await later(a);
    table.state.down = true;
    await later(a);
    expect(a.list().map((x) => x.hostname)).toEqual(['dp-2']);
    expect(String(errors[0])).toContain('connection refused');
    table.state.down = false;
  });
});
