import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import type { Logger } from '../../../shared/logger.js';
import { ENTITY_NAMES, type Entity, type EntityName } from '../../config/entities/definition.js';
import { DbError } from '../../errors.js';
import {
  CONFIG_PREFIXES,
  decodeOffset,
  encodeOffset,
  entityKey,
  entityRange,
  idOfEntityKey,
  refRange,
} from './keys.js';
import { Mutex } from './mutex.js';
import { Overlay, type KvBase } from './overlay.js';
import type {
  Change,
  ChangeEvent,
  ChangeListener,
  ListOptions,
  Page,
  Store,
  StoreConfig,
  RecordTable,
  SelectedReplace,
  StoreSnapshot,
  WriteTxn,
} from './store.js';
import { keepTimestamps, replaceChanges } from './replace-diff.js';
import { assertAllTagged, writeSelected } from './replace-selected.js';
import { databaseError } from './store-errors.js';
import { childRelations, TxnCore, type Definitions } from './write-txn.js';

/** Options of the LMDB backend. */
export interface LmdbStoreOptions {
  /** Directory of the environment (created 0700), e.g. `<prefix>/store.lmdb`. */
  path: string;
  /** LMDB map size in bytes (conf `lmdb_map_size`): the most the database can ever hold. */
  mapSize: number;
  definitions: Definitions;
  logger?: Logger;
  /** Unix seconds; injectable so tests control timestamps. */
  now?: () => number;
  /** How many versions of change events to keep for `changesSince` (default 10,000). */
  changeLogSize?: number;
}

/** Default number of versions kept in the change log (delta sync reaches back this far). */
export const DEFAULT_CHANGE_LOG_SIZE = 10_000;

const VERSION_KEY = 'm/version';
const logKey = (version: number): string => `l/${String(version).padStart(12, '0')}`;

class LmdbStore implements Store {
  readonly backend = 'lmdb';
  private readonly mutex = new Mutex();
  private readonly listeners = new Set<ChangeListener>();
  private readonly children;
  private readonly base: KvBase;
  private closed = false;

  constructor(
    private readonly db: RootDatabase,
    private readonly opts: LmdbStoreOptions,
  ) {
    this.children = childRelations(opts.definitions);
    this.base = {
      get: (key) => db.get(key),
      keysInRange: (start, end) => [...db.getKeys({ start, end })].map(String),
    };
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : Math.floor(Date.now() / 1000);
  }

  private assertOpen(): void {
    if (this.closed) throw new DbError('DATABASE_ERROR', 'the store is closed');
  }

  private assertFamily(family: EntityName): void {
    if (!this.opts.definitions[family]) throw new TypeError(`unknown entity family ${String(family)}`);
  }

  async get(family: EntityName, id: string): Promise<Entity | null> {
    this.assertOpen();
    this.assertFamily(family);
    return (this.db.get(entityKey(family, id)) as Entity | undefined) ?? null;
  }

  async getByField(family: EntityName, field: string, value: unknown): Promise<Entity | null> {
    this.assertOpen();
    return this.newCore(new Overlay(this.base)).getByField(family, field, value);
  }

  async list(family: EntityName, opts: ListOptions): Promise<Page> {
    this.assertOpen();
    this.assertFamily(family);
    const scope = opts.foreign ? `${family}/${opts.foreign.field}/${opts.foreign.id}` : family;
    const after = opts.offset ? decodeOffset(scope, opts.offset) : null;
    const range = opts.foreign ? refRange(family, opts.foreign.field, opts.foreign.id) : entityRange(family);
    const tags = opts.tags && opts.tags.length > 0 ? opts.tags : null;
    const mode = opts.tagsMode ?? 'and';
    const data: Entity[] = [];
    let more = false;
    // One synchronous loop: lmdb-js serves it from a single read transaction, so the page is consistent.
    for (const key of this.db.getKeys({ start: after ? range.start + after : range.start, end: range.end })) {
      const id = idOfEntityKey(String(key));
      if (id === after) continue;
      const entity = this.db.get(entityKey(family, id)) as Entity | undefined;
      if (!entity || (tags && !matchesTags(entity, tags, mode))) continue;
      if (data.length === opts.size) {
        more = true;
        break;
      }
      data.push(entity);
    }
    const last = data[data.length - 1];
    return { data, offset: more && last ? encodeOffset(scope, last.id) : null };
  }

  private newCore(overlay: Overlay): TxnCore {
    return new TxnCore(overlay, this.opts.definitions, this.children, () => this.now());
  }

  transaction<T>(fn: (tx: WriteTxn) => Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      this.assertOpen();
      const overlay = new Overlay(this.base);
      const core = this.newCore(overlay);
      const result = await fn(core.asWriteTxn());
      if (core.changes.length > 0) await this.commit(overlay, core.changes);
      return result;
    });
  }

  replaceAll(config: StoreConfig): Promise<number> {
    return this.mutex.run(async () => {
      this.assertOpen();
      const previous = this.readAll();
      const overlay = new Overlay(this.base, true);
      const core = this.newCore(overlay);
      for (const family of this.families()) {
        for (const entity of config[family] ?? []) {
          core.insert(family, keepTimestamps(entity, previous.get(`${family}/${entity.id}`)), true);
        }
      }
      core.checkAllForeignKeys();
      const changes = replaceChanges(previous, core.changes);
      await this.commit(overlay, changes);
      return this.currentVersion();
    });
  }

  replaceSelected(config: StoreConfig, tag: string): Promise<SelectedReplace> {
    return this.mutex.run(async () => {
      this.assertOpen();
      assertAllTagged(config, tag, this.opts.definitions);
      const previous = this.readAll();
      const overlay = new Overlay(this.base, true);
      const changes = writeSelected(this.newCore(overlay), this.families(), previous, config, tag);
      if (changes.length > 0) await this.commit(overlay, changes);
      return { version: this.currentVersion(), changes };
    });
  }

  private families(): EntityName[] {
    return ENTITY_NAMES.filter((f) => this.opts.definitions[f] !== undefined);
  }

  /** Every entity keyed `family/id`, families in topological order (replaceChanges relies on it). */
  private readAll(): Map<string, Entity> {
    const out = new Map<string, Entity>();
    for (const family of this.families()) {
      const { start, end } = entityRange(family);
      for (const { key, value } of this.db.getRange({ start, end })) {
        out.set(`${family}/${idOfEntityKey(String(key))}`, value as Entity);
      }
    }
    return out;
  }

  private currentVersion(): number {
    const v = this.db.get(VERSION_KEY);
    return typeof v === 'number' ? v : 0;
  }

  /**
   * Writes the overlay, the version bump and the change log entry in one LMDB transaction, then waits
   * until it is flushed to disk (lmdb-js syncs after the writer lock, off the event loop) before the
   * caller's request is answered or anyone is told about it: an acknowledged write survives a crash.
   */
  private async commit(overlay: Overlay, changes: Change[]): Promise<void> {
    let event: ChangeEvent;
    try {
      event = this.db.transactionSync(() => {
        if (overlay.cleared) {
          for (const prefix of CONFIG_PREFIXES) {
            const keys = [...this.db.getKeys({ start: prefix, end: `${prefix.slice(0, -1)}0` })];
            for (const key of keys) this.db.removeSync(key);
          }
        }
        for (const [key, value] of overlay.writes()) {
          if (value === undefined) this.db.removeSync(key);
          else this.db.putSync(key, value);
        }
        const version = this.currentVersion() + 1;
        this.db.putSync(VERSION_KEY, version);
        this.db.putSync(logKey(version), changes);
        const limit = this.opts.changeLogSize ?? DEFAULT_CHANGE_LOG_SIZE;
        if (version > limit) this.db.removeSync(logKey(version - limit));
        return { version, changes };
      });
      await this.db.flushed;
    } catch (err) {
      this.opts.logger?.error({ err }, 'store commit failed');
      throw databaseError(`could not commit the transaction: ${(err as Error).message}`, err);
    }
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.opts.logger?.error({ err, version: event.version }, 'store change listener failed');
      }
    }
  }

  async snapshot(): Promise<StoreSnapshot> {
    this.assertOpen();
    // Synchronous from here on: one read transaction, and no commit can interleave.
    // The declarative loader's canonical flat form: non-empty families only, entities in id order.
    const config: StoreConfig = { _format_version: '3.0', _transform: false };
    for (const family of this.families()) {
      const { start, end } = entityRange(family);
      const entities = [...this.db.getRange({ start, end })].map((e) => e.value as Entity);
      if (entities.length > 0) config[family] = entities;
    }
    return { version: this.currentVersion(), config };
  }

  async version(): Promise<number> {
    this.assertOpen();
    return this.currentVersion();
  }

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async changesSince(version: number): Promise<ChangeEvent[] | null> {
    this.assertOpen();
    const current = this.currentVersion();
    if (!Number.isInteger(version) || version < 0 || version > current) return null;
    if (version === current) return [];
    if (this.db.get(logKey(version + 1)) === undefined) return null;
    const out: ChangeEvent[] = [];
    for (const { key, value } of this.db.getRange({ start: logKey(version + 1), end: 'l0' })) {
      out.push({ version: Number(String(key).slice(2)), changes: value as Change[] });
    }
    return out;
  }

  records<T>(namespace: string): RecordTable<T> {
    if (!/^[a-z0-9_-]{1,64}$/.test(namespace)) throw new TypeError(`invalid record namespace '${namespace}'`);
    const prefix = `x/${namespace}/`;
    const checkId = (id: string) => {
      if (id.length === 0 || id.length > 256 || id.includes('/'))
        throw new TypeError(`invalid record id '${id}'`);
    };
    // Plain async LMDB writes: batched by lmdb-js off the event loop, outside config transactions.
    return {
      load: async () => {
        this.assertOpen();
        return [...this.db.getRange({ start: prefix, end: `x/${namespace}0` })].map((e) => e.value as T);
      },
      put: async (id, value) => {
        this.assertOpen();
        checkId(id);
        await this.db.put(prefix + id, value);
      },
      delete: async (id) => {
        this.assertOpen();
        checkId(id);
        await this.db.remove(prefix + id);
      },
    };
  }

  async ping(): Promise<boolean> {
    if (this.closed) return false;
    try {
      this.db.get(VERSION_KEY);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Wait for a running transaction to finish, then refuse new ones.
    await this.mutex.run(async () => {
      this.closed = true;
    });
    this.listeners.clear();
    await this.db.close();
  }
}

function matchesTags(entity: Entity, tags: readonly string[], mode: 'and' | 'or'): boolean {
  const own = Array.isArray(entity.tags) ? (entity.tags as unknown[]) : [];
  return mode === 'and' ? tags.every((t) => own.includes(t)) : tags.some((t) => own.includes(t));
}

/**
 * Opens (or creates) the control plane's LMDB store. Each write transaction is one durable LMDB
 * transaction; a restart on the same directory finds every entity and continues the version.
 */
export async function openLmdbStore(opts: LmdbStoreOptions): Promise<Store> {
  mkdirSync(opts.path, { recursive: true, mode: 0o700 });
  chmodSync(opts.path, 0o700);
  let db: RootDatabase;
  try {
    db = open({ path: join(opts.path, 'data.mdb'), mapSize: opts.mapSize });
  } catch (err) {
    throw databaseError(`failed to open the LMDB store at ${opts.path}: ${(err as Error).message}`, err);
  }
  return new LmdbStore(db, opts);
}
