import { describe, it, expect, afterEach } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { open } from 'lmdb';
import { createLogger } from '../../../shared/logger.js';
import { configHashes } from '../../config/hash.js';
import { generateSharedClusterCertificate } from '../../pki/shared-cluster-cert.js';
import { openConfigCache, type CachedConfig, type ConfigCache } from './config-cache.js';

const dirs: string[] = [];
const caches: ConfigCache[] = [];
afterEach(async () => {
  await Promise.all(caches.splice(0).map((c) => c.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const lines: { msg: string }[] = [];
const logger = createLogger({
  component: 'test',
  level: 'debug',
  destination: new Writable({
    write(chunk, _e, cb) {
      lines.push(JSON.parse(chunk.toString()));
      cb();
    },
  }),
});
const keyPem = generateSharedClusterCertificate({ days: 1 }).keyPem;

async function cacheAt(mode: 'encrypted' | 'unencrypted') {
  const dir = mkdtempSync(join(tmpdir(), 'hg-cache-delta-'));
  dirs.push(dir);
  const path = join(dir, 'dbless.lmdb');
  const reopen = async () => {
    const c = await openConfigCache({ path, mode, versionTag: '0.1', clusterKeyPem: keyPem, logger });
    caches.push(c);
    return c;
  };
  // Raw access between two opens of the cache (the cache itself is closed meanwhile).
  const raw = async <T>(fn: (db: ReturnType<typeof open<Buffer, string>>) => T | Promise<T>) => {
    const db = open<Buffer, string>({ path, noSubdir: false, encoding: 'binary' });
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  };
  return { reopen, raw };
}

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const route = (n: number, path = `/r${n}`) => ({ id: id(n), paths: [path], service: { id: id(900) } });
const entryOf = (version: number, config: Record<string, unknown>) => ({
  config,
  hashes: configHashes(config),
  version,
});
const base = {
  _format_version: '3.0',
  _transform: false,
  services: [{ id: id(900), host: 'a', tags: null }],
  routes: [route(1), route(2), route(3)],
};

async function closeAll() {
  await Promise.all(caches.splice(0).map((c) => c.close()));
}

describe('config cache: deltas entity by entity', () => {
  for (const mode of ['unencrypted', 'encrypted'] as const) {
    it(`${mode}: a delta rewrites only its entities and the head; the reloaded config hashes the same`, async () => {
      const { reopen, raw } = await cacheAt(mode);
      const c = await reopen();
      await c.save(entryOf(4, base));
      await closeAll();
      const before = await raw((db) => ({
        r1: Buffer.from(db.get(`e/routes/${id(1)}`)!),
        r2: Buffer.from(db.get(`e/routes/${id(2)}`)!),
      }));

      const next = {
        ...base,
        routes: [route(1), route(2, '/changed'), route(4)],
        consumers: [{ id: id(500), username: 'u' }],
      };
      const d = await reopen();
      const how = await d.saveDelta({
        fromVersion: 4,
        changes: [
          { op: 'upsert', family: 'routes', id: id(2), entity: route(2, '/changed') },
          { op: 'delete', family: 'routes', id: id(3), entity: null },
          { op: 'upsert', family: 'routes', id: id(4), entity: route(4) },
          { op: 'upsert', family: 'consumers', id: id(500), entity: { id: id(500), username: 'u' } },
        ],
        entry: entryOf(5, next),
      });
      expect(how).toBe('delta');
      await closeAll();
      const after = await raw((db) => ({
        r1: db.get(`e/routes/${id(1)}`),
        r2: db.get(`e/routes/${id(2)}`),
        r3: db.get(`e/routes/${id(3)}`),
      }));
      // Untouched records keep their bytes (an encrypted rewrite would change its IV).
      expect(after.r1!.equals(before.r1)).toBe(true);
      expect(after.r2!.equals(before.r2)).toBe(false);
      expect(after.r3).toBeUndefined();
      if (mode === 'encrypted') expect(after.r2!.toString('latin1')).not.toContain('/changed');

      const loaded = (await (await reopen()).load())!;
      expect(loaded).toEqual(entryOf(5, next));
      expect(Object.keys(loaded.config)).toEqual(Object.keys(next));
      expect(configHashes(loaded.config).config).toBe(loaded.hashes.config);
    });
  }

  it('a delta on a cache at another version, or in the whole-record format, rewrites it whole', async () => {
    const { reopen, raw } = await cacheAt('unencrypted');
    const c = await reopen();
    await c.save(entryOf(4, base));
    const next = { ...base, routes: [route(1)] };
    const delta = {
      fromVersion: 7,
      changes: [
        { op: 'delete' as const, family: 'routes', id: id(2), entity: null },
        { op: 'delete' as const, family: 'routes', id: id(3), entity: null },
      ],
      entry: entryOf(8, next),
    };
    expect(await c.saveDelta(delta)).toBe('full');
    expect(await c.load()).toEqual(entryOf(8, next));
    await closeAll();

    // A cache written before entity records: the whole config in the head record.
    const old: CachedConfig = entryOf(7, base);
    await raw(async (db) => {
      await db.clearAsync();
      const data = Buffer.from(JSON.stringify(old)).toString('base64');
      await db.put('declarative_config', Buffer.from(JSON.stringify({ mode: 'unencrypted', data })));
      await db.put('declarative_config:hash', Buffer.from(old.hashes.config));
      await db.put('validation_tag', Buffer.from('0.1'));
    });
    const o = await reopen();
    expect(await o.load()).toEqual(old);
    expect(await o.saveDelta(delta)).toBe('full');
    expect(await o.load()).toEqual(entryOf(8, next));
  });

  it('an encrypted record moved to another entity key is refused, not loaded', async () => {
    const { reopen, raw } = await cacheAt('encrypted');
    await (await reopen()).save(entryOf(4, base));
    await closeAll();
    await raw(async (db) => {
      await db.put(`e/routes/${id(3)}`, db.get(`e/routes/${id(1)}`)!);
    });
    expect(await (await reopen()).load()).toBeNull();
    expect(lines.some((l) => l.msg === 'unable to read the config cache, ignoring it')).toBe(true);
  });
});
