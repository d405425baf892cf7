import { afterEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DbError } from '../../errors.js';
import { openLmdbStore } from './lmdb-store.js';
import { describeStoreConformance } from './store-conformance.js';
import { testDefinitions } from './test-definitions.js';

const MAP_SIZE = 64 * 1024 * 1024;

// The behaviour both backends share lives in the conformance suite; this file adds only what is
// particular to LMDB (a directory under the prefix, its permissions, open failures).
let conformanceDir: string | null = null;
describeStoreConformance('lmdb', {
  open: async ({ fresh, now, changeLogSize }) => {
    if (fresh || conformanceDir === null) conformanceDir = mkdtempSync(join(tmpdir(), 'hg-store-'));
    return openLmdbStore({
      path: join(conformanceDir, 'store.lmdb'),
      mapSize: MAP_SIZE,
      definitions: testDefinitions(),
      now,
      ...(changeLogSize ? { changeLogSize } : {}),
    });
  },
  cleanup: async () => {
    if (conformanceDir) rmSync(conformanceDir, { recursive: true, force: true });
    conformanceDir = null;
  },
});

describe('lmdb store: storage on disk', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'hg-store-'));
    dirs.push(d);
    return d;
  };

  it('keeps the environment in a 0700 directory, even one that existed with wider permissions', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'store.lmdb'), { mode: 0o755 });
    const store = await openLmdbStore({
      path: join(dir, 'store.lmdb'),
      mapSize: MAP_SIZE,
      definitions: testDefinitions(),
    });
    try {
      await store.transaction((tx) => tx.insert('services', { id: randomUUID(), name: 'a', host: 'h' }));
      expect(statSync(join(dir, 'store.lmdb')).mode & 0o777).toBe(0o700);
    } finally {
      await store.close();
    }
  });

  it('turns an LMDB open failure into DbError DATABASE_ERROR', async () => {
    const dir = tempDir();
    const path = join(dir, 'store.lmdb');
    const first = await openLmdbStore({ path, mapSize: MAP_SIZE, definitions: testDefinitions() });
    await first.close();
    // data.mdb as a directory: LMDB cannot open it as its data file.
    rmSync(join(path, 'data.mdb'), { force: true });
    rmSync(join(path, 'data.mdb-lock'), { force: true });
    mkdirSync(join(path, 'data.mdb'));
    const err = await openLmdbStore({ path, mapSize: MAP_SIZE, definitions: testDefinitions() }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DbError);
    expect((err as DbError).kind).toBe('DATABASE_ERROR');
    expect((err as DbError).message).toContain(path);
  });
});
