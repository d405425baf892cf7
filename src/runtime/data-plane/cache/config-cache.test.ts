import { describe, it, expect, afterEach } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { open } from 'lmdb';
import { createLogger } from '../../../shared/logger.js';
import { generateSharedClusterCertificate } from '../../pki/shared-cluster-cert.js';
import {
  configCachePath,
  openConfigCache,
  type ConfigCache,
  type ConfigCacheOptions,
} from './config-cache.js';

const dirs: string[] = [];
const caches: ConfigCache[] = [];
afterEach(async () => {
  await Promise.all(caches.splice(0).map((c) => c.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function logCapture() {
  const lines: { msg: string; [k: string]: unknown }[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()));
      cb();
    },
  });
  return { lines, logger: createLogger({ component: 'test', destination, level: 'debug' }) };
}

const H = (c: string) => c.repeat(32);
const entry = (c: string) => ({
  config: { _format_version: '3.0', services: [{ id: c, name: `svc-${c}`, port: null }] },
  hashes: {
    config: H(c),
    routes: H('0'),
    services: H(c),
    plugins: H('0'),
    upstreams: H('0'),
    targets: H('0'),
  },
});

function cacheAt(opts: Partial<ConfigCacheOptions> & { path?: string } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'hg-cache-'));
  dirs.push(dir);
  const { lines, logger } = logCapture();
  const full: ConfigCacheOptions = {
    path: join(dir, 'dbless.lmdb'),
    mode: 'unencrypted',
    versionTag: '0.1',
    logger,
    ...opts,
  };
  const reopen = async (more: Partial<ConfigCacheOptions> = {}) => {
    const c = await openConfigCache({ ...full, ...more });
    caches.push(c);
    return c;
  };
  return { dir, lines, reopen, path: full.path };
}

describe('openConfigCache', () => {
  it('round-trips the latest config in a 0700 directory; survives reopen', async () => {
    const { reopen, path } = cacheAt();
    const c = await reopen();
    expect(await c.load()).toBeNull();
    await c.save(entry('a'));
    await c.save(entry('b'));
    await c.close();
    caches.pop();
    expect(statSync(path).mode & 0o777).toBe(0o700);
    expect(readdirSync(path).sort()).toEqual(['data.mdb', 'lock.mdb']);
    expect(await (await reopen()).load()).toEqual(entry('b'));
  });

  it('discards a cache written by another major.minor, with a log line', async () => {
    const { reopen, lines } = cacheAt();
    const c = await reopen();
    await c.save(entry('a'));
    await c.close();
    caches.pop();
    const next = await reopen({ versionTag: '0.2' });
    expect(await next.load()).toBeNull();
    expect(
      lines.some(
        (l) => l.msg === 'config cache validation tag mismatch, discarding it' && l.cache_tag === '0.1',
      ),
    ).toBe(true);
    expect(await next.load()).toBeNull();
  });

  it('encrypts with a key derived from the cluster key; another key cannot read it', async () => {
    const k1 = generateSharedClusterCertificate({ days: 1 }).keyPem;
    const k2 = generateSharedClusterCertificate({ days: 1 }).keyPem;
    const { reopen, path, lines } = cacheAt({ mode: 'encrypted', clusterKeyPem: k1 });
    const c = await reopen();
    await c.save(entry('c'));
    await c.close();
    caches.pop();
    const raw = open({ path, noSubdir: false, encoding: 'binary', readOnly: true });
    const stored = (raw.get('declarative_config') as Buffer).toString('utf8');
    await raw.close();
    expect(stored).toContain('"mode":"encrypted"');
    expect(Buffer.from(JSON.parse(stored).data, 'base64').toString('latin1')).not.toContain('svc-c');
    const wrong = await reopen({ clusterKeyPem: k2 });
    expect(await wrong.load()).toBeNull();
    await wrong.close();
    caches.pop();
    const plain = await reopen({ mode: 'unencrypted' });
    expect(await plain.load()).toBeNull();
    await plain.close();
    caches.pop();
    expect(lines.filter((l) => l.msg === 'unable to read the config cache, ignoring it')).toHaveLength(2);
    expect(await (await reopen()).load()).toEqual(entry('c'));
  });

  it('survives a corrupt record and a file that is not LMDB at all', async () => {
    const { reopen, path, lines, dir } = cacheAt();
    const c = await reopen();
    await c.save(entry('d'));
    await c.close();
    caches.pop();
    const raw = open({ path, noSubdir: false, encoding: 'binary' });
    await raw.put('declarative_config', Buffer.from('{"mode":"unencrypted","data":"!!!"'));
    await raw.close();
    expect(await (await reopen()).load()).toBeNull();
    expect(lines.some((l) => l.msg === 'unable to read the config cache, ignoring it')).toBe(true);
    await caches.pop()!.close();

    const garbageDir = join(dir, 'garbage.lmdb');
    mkdirSync(garbageDir);
    writeFileSync(join(garbageDir, 'data.mdb'), Buffer.alloc(64 * 1024, 0x5a));
    const g = await reopen({ path: garbageDir });
    expect(await g.load()).toBeNull();
    await g.save(entry('e'));
    expect(await g.load()).toEqual(entry('e'));
    expect(lines.some((l) => l.msg === 'config cache is unreadable, starting a new one')).toBe(true);
    expect(readdirSync(dir).some((n) => n.startsWith('garbage.lmdb.corrupt-'))).toBe(true);
  });

  it('mode off keeps nothing; the path follows the conf', async () => {
    const { reopen, path } = cacheAt({ mode: 'off' });
    const c = await reopen();
    await c.save(entry('f'));
    expect(await c.load()).toBeNull();
    expect(existsSync(path)).toBe(false);
    expect(configCachePath('/p', null)).toBe('/p/dbless.lmdb');
    expect(configCachePath('/p', '/elsewhere/cache')).toBe('/elsewhere/cache');
  });
});
