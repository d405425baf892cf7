import { mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import { errorMessage } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/logger.js';
import { configHashesSchema, type ConfigHashes } from '../../protocol/messages.js';
import { deriveCacheKey } from './cache-crypto.js';
import { createRecordStore, RECORD_KEY, HASH_KEY, TAG_KEY } from './record-store.js';
import { recordSeal } from './cache-records.js';
import { probeLmdbEnvironment } from './probe-lmdb.js';

/** A config as the DP applied it, with the hashes the CP sent. */
export interface CachedConfig {
  config: Record<string, unknown>;
  hashes: ConfigHashes;
  /** The CP config version it is (protocol v2); absent when unknown (v1, declarative_config). */
  version?: number;
}

/** A protocol v2 delta as the cache persists it: the entities it touched, and the config it led to. */
export interface CachedDelta {
  /** The version the delta applies to; the cache must hold exactly it, else it is rewritten whole. */
  fromVersion: number;
  changes: readonly { op: 'upsert' | 'delete'; family: string; id: string; entity: unknown }[];
  /** The config after the delta, with its hashes and version (`version` is required here). */
  entry: CachedConfig & { version: number };
}

/** The DP's persistent copy of its last applied config. */
export interface ConfigCache {
  /** The cached config, or null (none, discarded, unreadable: each logged). Never throws. */
  load(): Promise<CachedConfig | null>;
  /** Replaces the cached config in one transaction. */
  save(entry: CachedConfig): Promise<void>;
  /**
   * Persists a delta entity by entity (puts and deletes, the new hashes and version) in one
   * transaction; a cache not at `fromVersion` (or written by an older format) is rewritten whole.
   * Resolves to how it was written.
   */
  saveDelta(delta: CachedDelta): Promise<'delta' | 'full'>;
  close(): Promise<void>;
}

/** How the cache is opened (from conf: data_plane_config_cache_mode/_path, lmdb_map_size, cluster key). */
export interface ConfigCacheOptions {
  /** The LMDB environment directory (`<prefix>/dbless.lmdb` unless data_plane_config_cache_path). */
  path: string;
  mode: 'unencrypted' | 'encrypted' | 'off';
  /** The runtime's `major.minor`; a cache written by another one is discarded (Kong's validation tag). */
  versionTag: string;
  /** The cluster key PEM; required when mode is `encrypted`. */
  clusterKeyPem?: string | null;
  mapSize?: number;
  logger: Logger;
}

/** A cache that keeps nothing (data_plane_config_cache_mode = off). */
const OFF: ConfigCache = {
  load: async () => null,
  save: async () => undefined,
  saveDelta: async () => 'full',
  close: async () => undefined,
};

/**
 * Opens the LMDB config cache. The head record (hashes, version, top-level keys and scalars) and one
 * record per entity are written in one transaction together with the hash key, so a crash mid-write
 * leaves the previous config readable (LMDB commits are atomic); a delta touches only its entities'
 * records and the head. A cache from before entity records (the whole config in the head) still loads. A cache that cannot be opened (probed in a child process first, since a
 * corrupt file can crash the native binding) is moved aside and recreated: a broken cache costs the
 * DP its head start, never its ability to start.
 */
export async function openConfigCache(opts: ConfigCacheOptions): Promise<ConfigCache> {
  const log = opts.logger.child({ cache_path: opts.path });
  if (opts.mode === 'off') return OFF;
  const key = opts.mode === 'encrypted' ? deriveCacheKey(requireKey(opts.clusterKeyPem)) : null;
  let db: RootDatabase<Buffer, string>;
  try {
    const probe = await probeLmdbEnvironment(opts.path);
    if (!probe.ok) throw new Error(probe.reason);
    db = openEnv(opts);
  } catch (err) {
    const aside = `${opts.path}.corrupt-${Date.now()}`;
    log.warn({ err: errorMessage(err), moved_to: aside }, 'config cache is unreadable, starting a new one');
    try {
      renameSync(opts.path, aside);
      db = openEnv(opts);
    } catch (err2) {
      log.warn({ err: errorMessage(err2) }, 'config cache cannot be recreated, running without it');
      return OFF;
    }
  }

  const seal = recordSeal(key, opts.versionTag);
  const store = createRecordStore(db, seal, opts.versionTag);
  return {
    async load() {
      try {
        const tag = db.get(TAG_KEY)?.toString('utf8');
        const raw = db.get(RECORD_KEY);
        if (!raw) return null;
        if (tag !== opts.versionTag) {
          log.warn(
            { cache_tag: tag ?? null, runtime_tag: opts.versionTag },
            'config cache validation tag mismatch, discarding it',
          );
          await db.clearAsync();
          return null;
        }
        const entry = store.read();
        const hashes = configHashesSchema.parse(entry.hashes);
        if (entry.config === null || typeof entry.config !== 'object' || Array.isArray(entry.config)) {
          throw new Error('record holds no configuration object');
        }
        if (db.get(HASH_KEY)?.toString('utf8') !== hashes.config)
          throw new Error('hash key does not match the record');
        log.info({ config_hash: hashes.config }, 'found persisted config cache, loading');
        const version = Number.isSafeInteger(entry.version) && entry.version! > 0 ? entry.version : undefined;
        return { config: entry.config, hashes, ...(version !== undefined ? { version } : {}) };
      } catch (err) {
        log.warn({ err: errorMessage(err) }, 'unable to read the config cache, ignoring it');
        return null;
      }
    },
    async save(entry) {
      await db.transaction(() => store.writeFull(entry));
    },
    async saveDelta(delta) {
      return db.transaction(() =>
        store.writeDelta(delta) ? 'delta' : (store.writeFull(delta.entry), 'full'),
      );
    },
    async close() {
      await db.close();
    },
  };
}

function requireKey(pem: string | null | undefined): string {
  if (!pem) throw new Error('data_plane_config_cache_mode = encrypted needs cluster_cert_key');
  return pem;
}

function openEnv(opts: ConfigCacheOptions): RootDatabase<Buffer, string> {
  // Kong's layout: a 0700 directory holding data.mdb and lock.mdb.
  mkdirSync(opts.path, { recursive: true, mode: 0o700 });
  const db = open<Buffer, string>({
    path: opts.path,
    noSubdir: false,
    encoding: 'binary',
    mapSize: opts.mapSize ?? 2 * 1024 ** 3,
  });
  // Opening is lazy in places; a read proves the environment is usable now, not at the first save.
  db.get(TAG_KEY);
  return db;
}

/** Where the cache lives: data_plane_config_cache_path, else `<prefix>/<lmdb_environment_path>`. */
export function configCachePath(prefix: string, cachePath: string | null, lmdbPath = 'dbless.lmdb'): string {
  if (cachePath) return cachePath;
  return lmdbPath.startsWith('/') ? lmdbPath : join(prefix, lmdbPath);
}
