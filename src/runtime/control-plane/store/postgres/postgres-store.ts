import pg from 'pg';
import type { Logger } from '../../../../shared/logger.js';
import { ENTITY_NAMES, type Entity, type EntityName } from '../../../config/entities/definition.js';
import { DbError } from '../../../errors.js';
import { Mutex } from '../mutex.js';
import { Overlay } from '../overlay.js';
import type {
  Change,
  ChangeEvent,
  ChangeListener,
  ListOptions,
  Page,
  RecordTable,
  SelectedReplace,
  Store,
  StoreConfig,
  StoreSnapshot,
  WriteTxn,
} from '../store.js';
import { childRelations, TxnCore, type Definitions } from '../write-txn.js';
import { ChangeFeed } from './change-feed.js';
import { Mirror } from './mirror.js';
import { assertSchemaCurrent, schemaState } from './migrations.js';
import type { Migration } from './schema.js';
import { clientConfig, type PostgresConnection } from './pg-options.js';
import { toDbError } from './pg-errors.js';
import { CallerFailure, inReadSnapshot, PgSession } from './pg-session.js';
import {
  readChangesSince,
  readEntity,
  readEntityByKey,
  readPage,
  readSnapshot,
  readVersion,
} from './pg-reads.js';
import { recordTable } from './pg-records.js';
import { keepTimestamps, replaceChanges } from '../replace-diff.js';
import { assertAllTagged, writeSelected } from '../replace-selected.js';
import { netWrites, writeRows } from './sql-writes.js';

/** Options of the PostgreSQL backend. */
export interface PostgresStoreOptions {
  connection: PostgresConnection;
  definitions: Definitions;
  logger?: Logger;
  /** Unix seconds; injectable so tests control timestamps. */
  now?: () => number;
  /** Versions of change events kept for `changesSince` (default 10,000), shared by every CP. */
  changeLogSize?: number;
  /** Safety-net poll of the change log, in ms (default 2000). */
  pollIntervalMs?: number;
  /** The migrations the database must have run (default: this build's; tests pass a newer list). */
  migrations?: readonly Migration[];
}

/** The PostgreSQL store: a Store, plus what a control plane needs to ride out a database outage. */
export interface PostgresStore extends Store {
  /**
   * The newest configuration this control plane has seen committed (its in-memory copy), available
   * while the database is down, so new data planes can still be served the last good config.
   */
  lastSnapshot(): StoreSnapshot;
  /** Whether the LISTEN connection is up (false during an outage until it reconnects). */
  readonly listening: boolean;
}

const DEFAULT_CHANGE_LOG_SIZE = 10_000;
const DEFAULT_POLL_MS = 2000;
const LOG_BATCH = 500;

type Body<T> = () => Promise<{ result: T; overlay: Overlay; changes: Change[]; always?: boolean }>;

class PgStore implements PostgresStore {
  readonly backend = 'postgres';
  // Serialises this CP's writes and catch-ups: both read and move the mirror.
  private readonly mutex = new Mutex();
  private readonly listeners = new Set<ChangeListener>();
  private readonly children;
  private readonly mirror: Mirror;
  private readonly feed: ChangeFeed;
  private readonly channel: string;
  private closed = false;
  private stale = false;
  private catching = false;
  private catchAgain = false;
  private readonly session: PgSession;

  constructor(
    pool: pg.Pool,
    private readonly opts: PostgresStoreOptions,
    mirror: Mirror,
  ) {
    this.session = new PgSession(pool, () => this.assertOpen(), opts.logger);
    this.children = childRelations(opts.definitions);
    this.mirror = mirror;
    this.channel = notifyChannel(opts.connection.schema);
    const { max: _max, ...listenConfig } = clientConfig(opts.connection, 'hybridgate-listen');
    this.feed = new ChangeFeed({
      config: listenConfig,
      channel: this.channel,
      pollIntervalMs: opts.pollIntervalMs ?? DEFAULT_POLL_MS,
      onSignal: () => this.signal(),
      ...(opts.logger ? { logger: opts.logger } : {}),
    });
  }

  get listening(): boolean {
    return this.feed.listening;
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

  private families(): EntityName[] {
    return ENTITY_NAMES.filter((f) => this.opts.definitions[f] !== undefined);
  }

  async get(family: EntityName, id: string): Promise<Entity | null> {
    this.assertFamily(family);
    return this.session.withClient(`reading ${family}`, (c) => readEntity(c, family, id));
  }

  async getByField(family: EntityName, field: string, value: unknown): Promise<Entity | null> {
    const def = this.opts.definitions[family];
    if (!def) throw new TypeError(`unknown entity family ${String(family)}`);
    if (field === 'id') return typeof value === 'string' ? this.get(family, value) : null;
    if (!def.uniqueFields.includes(field)) throw new TypeError(`${family}.${field} is not a unique field`);
    return this.session.withClient(`reading ${family}`, (c) => readEntityByKey(c, family, field, value));
  }

  async list(family: EntityName, opts: ListOptions): Promise<Page> {
    this.assertFamily(family);
    this.assertOpen();
    return this.session.withClient(`listing ${family}`, (c) => readPage(c, family, opts));
  }

  private newCore(overlay: Overlay): TxnCore {
    return new TxnCore(overlay, this.opts.definitions, this.children, () => this.now());
  }

  async transaction<T>(fn: (tx: WriteTxn) => Promise<T>): Promise<T> {
    const { result } = await this.write('writing', async () => {
      const overlay = new Overlay(this.mirror);
      const core = this.newCore(overlay);
      const result = await fn(core.asWriteTxn());
      return { result, overlay, changes: core.changes };
    });
    return result;
  }

  async replaceAll(config: StoreConfig): Promise<number> {
    const { version } = await this.write('replacing the configuration', async () => {
      const previous = this.mirror.entityMap();
      const overlay = new Overlay(this.mirror, true);
      const core = this.newCore(overlay);
      for (const family of this.families()) {
        for (const entity of config[family] ?? []) {
          core.insert(family, keepTimestamps(entity, previous.get(`${family}/${entity.id}`)), true);
        }
      }
      core.checkAllForeignKeys();
      return { result: undefined, overlay, changes: replaceChanges(previous, core.changes), always: true };
    });
    return version;
  }

  async replaceSelected(config: StoreConfig, tag: string): Promise<SelectedReplace> {
    assertAllTagged(config, tag, this.opts.definitions);
    const { result, version } = await this.write('replacing the selected configuration', async () => {
      const previous = this.mirror.entityMap();
      const overlay = new Overlay(this.mirror, true);
      const changes = writeSelected(this.newCore(overlay), this.families(), previous, config, tag);
      return { result: changes, overlay, changes };
    });
    return { version, changes: result };
  }

  /**
   * One write transaction. Locking the version row serialises writers across every control plane;
   * the mirror is then caught up to exactly the locked version, so the shared rules (TxnCore) decide
   * on what the database holds, and the row changes, the version bump, the change row and the
   * notification all commit together.
   */
  private write<T>(action: string, body: Body<T>): Promise<{ result: T; version: number }> {
    return this.mutex.run(() =>
      this.session.withClient(action, async (c) => {
        await c.query('BEGIN');
        try {
          const locked = await readVersion(c, true);
          await this.catchUpLocked(c, locked);
          const { result, overlay, changes, always } = await body().catch((err: unknown) => {
            throw new CallerFailure(err);
          });
          if (changes.length === 0 && !always) {
            await c.query('ROLLBACK');
            return { result, version: locked };
          }
          const version = locked + 1;
          await writeRows(c, netWrites(overlay, this.mirror), this.opts.definitions);
          await c.query('UPDATE hg_state SET version = $1', [version]);
          await c.query('INSERT INTO hg_changes (version, changes) VALUES ($1, $2::json)', [
            version,
            JSON.stringify(changes),
          ]);
          const limit = this.opts.changeLogSize ?? DEFAULT_CHANGE_LOG_SIZE;
          if (version > limit) await c.query('DELETE FROM hg_changes WHERE version <= $1', [version - limit]);
          await c.query('SELECT pg_notify($1, $2)', [this.channel, String(version)]);
          await c.query('COMMIT');
          this.session.markReachable(true);
          this.deliver({ version, changes });
          return { result, version };
        } catch (err) {
          await c.query('ROLLBACK').catch(() => undefined);
          const code = (err as { code?: unknown }).code;
          // A constraint the database refused but the rules allowed: this copy was wrong; reload it.
          if (typeof code === 'string' && code.startsWith('23')) this.stale = true;
          throw err;
        }
      }),
    );
  }

  /** Delivers one committed event: the mirror moves to it, then every listener sees it. */
  private deliver(event: ChangeEvent): void {
    this.mirror.apply(event.version, event.changes);
    this.emit(event);
  }

  private emit(event: ChangeEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.opts.logger?.error({ err, version: event.version }, 'store change listener failed');
      }
    }
  }

  /**
   * Brings the mirror (and the listeners) up to `target` from the change log, in version order; when
   * the log no longer reaches back (or the database was reset) it reloads everything and delivers the
   * difference as one event, so a listener never misses a change even after a long outage.
   */
  private async catchUpLocked(q: pg.ClientBase, target: number): Promise<void> {
    if (this.stale || target < this.mirror.version) {
      await this.reload(q, true);
      return;
    }
    while (this.mirror.version < target) {
      const rows = await q.query<{ version: string; changes: Change[] }>(
        'SELECT version, changes FROM hg_changes WHERE version > $1 AND version <= $2 ORDER BY version LIMIT $3',
        [this.mirror.version, target, LOG_BATCH],
      );
      if (rows.rows.length === 0) {
        await this.reload(q, true); // the log was pruned past this copy's version
        return;
      }
      for (const row of rows.rows) {
        const version = Number(row.version);
        if (version !== this.mirror.version + 1) {
          await this.reload(q, true);
          return;
        }
        this.deliver({ version, changes: row.changes });
      }
    }
  }

  /** Replaces the mirror with the database's content (`q` must see one consistent state). */
  private async reload(q: pg.ClientBase, announce: boolean): Promise<void> {
    const { version, config } = await readSnapshot(q, this.families());
    const previous = this.mirror.entityMap();
    const before = this.mirror.version;
    this.mirror.load(version, config);
    this.stale = false;
    const created: Change[] = [...this.mirror.entityMap()].map(([key, entity]) => ({
      op: 'create',
      family: key.slice(0, key.indexOf('/')) as EntityName,
      id: entity.id,
      entity,
      previous: null,
    }));
    const changes = replaceChanges(previous, created);
    if (!announce || (version === before && changes.length === 0)) return;
    this.opts.logger?.warn({ from: before, to: version }, 'store change log does not reach back; reloaded');
    this.emit({ version, changes });
  }

  /** A notification, reconnection or poll tick: catch up, coalescing signals that arrive meanwhile. */
  private signal(): void {
    if (this.closed) return;
    if (this.catching) {
      this.catchAgain = true;
      return;
    }
    this.catching = true;
    this.mutex
      .run(async () => {
        if (this.closed) return;
        await this.session.withClient('reading the change log', async (c) => {
          const current = await readVersion(c, false);
          if (current === this.mirror.version && !this.stale) return;
          // One REPEATABLE READ snapshot, so a reload sees a version and the rows of that version.
          await inReadSnapshot(c, async () => this.catchUpLocked(c, await readVersion(c, false)));
        });
        this.session.markReachable(true);
      })
      .catch((err: unknown) =>
        this.opts.logger?.debug({ err: (err as Error).message }, 'store catch-up failed'),
      )
      .finally(() => {
        this.catching = false;
        if (this.catchAgain) {
          this.catchAgain = false;
          this.signal();
        }
      });
  }

  async snapshot(): Promise<StoreSnapshot> {
    return this.session.readTxn('reading a snapshot', (c) => readSnapshot(c, this.families()));
  }

  lastSnapshot(): StoreSnapshot {
    return { version: this.mirror.version, config: this.mirror.config() };
  }

  async version(): Promise<number> {
    return this.session.withClient('reading the version', (c) => readVersion(c, false));
  }

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async changesSince(version: number): Promise<ChangeEvent[] | null> {
    return this.session.readTxn('reading the change log', (c) => readChangesSince(c, version));
  }

  records<T>(namespace: string): RecordTable<T> {
    return recordTable<T>(namespace, (action, fn) => this.session.withClient(action, fn));
  }

  async ping(): Promise<boolean> {
    if (this.closed) return false;
    try {
      await this.session.pool.query('SELECT 1');
      this.session.markReachable(true);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Let a running transaction or catch-up finish, then refuse new ones.
    await this.mutex.run(async () => {
      this.closed = true;
    });
    this.listeners.clear();
    await this.feed.close();
    await this.session.pool.end().catch(() => undefined);
  }
}

/** The NOTIFY channel of a schema's store (channels are per database; names at most 63 bytes). */
function notifyChannel(schema: string | null): string {
  return `hybridgate_changes${schema ? `_${schema}` : ''}`.slice(0, 63);
}

/**
 * Opens the PostgreSQL store: checks that migrations are current (as `kong start` refuses a database
 * that needs bootstrapping), loads this control plane's copy, then listens for changes.
 */
export async function openPostgresStore(opts: PostgresStoreOptions): Promise<PostgresStore> {
  assertSchemaCurrent(
    await schemaState({
      connection: opts.connection,
      dbTimeoutS: opts.connection.timeoutMs / 1000,
      lockTimeoutS: 0,
      ...(opts.migrations ? { migrations: opts.migrations } : {}),
    }),
  );
  const pool = new pg.Pool(clientConfig(opts.connection, 'hybridgate'));
  // An idle connection dropped by the server must not crash the process; the next query reconnects.
  pool.on('error', (err) => opts.logger?.warn({ err: err.message }, 'idle database connection lost'));
  const mirror = new Mirror(opts.definitions);
  try {
    const client = await pool.connect();
    try {
      const families = ENTITY_NAMES.filter((f) => opts.definitions[f]);
      const { version, config } = await inReadSnapshot(client, () => readSnapshot(client, families));
      mirror.load(version, config);
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw toDbError(err, 'loading the store');
  }
  return new PgStore(pool, opts, mirror);
}
