import { afterEach, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConf } from '../config/conf/load-conf.js';
import { createLogger } from '../../shared/logger.js';
import { startControlPlane, storePath } from './start-control-plane.js';

const logger = createLogger({ component: 'start-control-plane-test', level: 'silent' });
const dirs: string[] = [];
const tempDir = (name: string) => {
  const d = mkdtempSync(join(tmpdir(), `hg-${name}-`));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const confFor = (prefix: string, lmdbPath?: string) =>
  loadConf({
    env: {},
    overrides: {
      prefix,
      role: 'traditional',
      database: 'lmdb',
      admin_listen: '127.0.0.1:0',
      proxy_listen: 'off',
      ...(lmdbPath ? { lmdb_environment_path: lmdbPath } : {}),
    },
  }).conf;

describe('the LMDB store location', () => {
  it('is lmdb_environment_path under the prefix, or as given when absolute', () => {
    expect(storePath({ prefix: '/p', lmdb_environment_path: 'dbless.lmdb' })).toBe('/p/dbless.lmdb');
    expect(storePath({ prefix: '/p', lmdb_environment_path: '/data/config.lmdb' })).toBe('/data/config.lmdb');
  });

  it('keeps the configuration across a restart on a fresh prefix when the store is on a volume of its own', async () => {
    // What the operator does for a control plane (same store code as this traditional node): the
    // prefix is an emptyDir, lost with the pod; the store is on the PVC.
    const volume = tempDir('volume');
    const path = join(volume, 'config.lmdb');
    const first = await startControlPlane(confFor(tempDir('prefix1'), path), logger);
    await first.store.replaceAll({
      _format_version: '3.0',
      services: [{ name: 'kept', host: 'kept.example', port: 80, protocol: 'http' }],
    } as never);
    const version = await first.store.version();
    await first.close();
    expect(existsSync(path)).toBe(true);

    const second = await startControlPlane(confFor(tempDir('prefix2'), path), logger);
    try {
      const { config } = await second.store.snapshot();
      expect((config as { services?: { name: string }[] }).services?.map((s) => s.name)).toEqual(['kept']);
      expect(await second.store.version()).toBe(version);
    } finally {
      await second.close();
    }
  });
});
