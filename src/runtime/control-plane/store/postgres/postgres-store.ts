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
import { isUnavailable, toDbError } from './pg-errors.js';
import {
  readChangesSince,
  readEntity,
  readEntityByKey,
  readPage,
  readSnapshot,
  readVersion,
} from './pg-reads.js';
import { keepTimestamps, replaceChanges } from './replace-diff.js';
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
  private reachable = true;

  constructor(
    private readonly pool: pg.Pool,
    private readonly opts: PostgresStoreOptions,
    mirror: Mirror,
  ) {
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

  /** Runs `fn` on one pooled connection; a connection that failed at the socket is discarded. */
  private async withClient<T>(action: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    this.assertOpen();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.failed(err, action);
    }
    let broken = false;
    try {
      return await fn(client);
    } catch (err) {
      broken = isUnavailable(err);
      throw this.failed(err, action);
    } finally {
      client.release(broken);
    }
  }

  /** A consistent read: one REPEATABLE READ snapshot of the database. */
  private readTxn<T>(action: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.withClient(action, async (c) => {
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        const out = await fn(c);
        await c.query('COMMIT');
        return out;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  private failed(err: unknown, action: string): Error {
    const typed = toDbError(err, action);
    if (typed instanceof DbError && typed.kind === 'DATABASE_UNAVAILABLE') this.markReachable(false, typed);
    return typed;
  }

  private markReachable(ok: boolean, err?: Error): void {
    if (ok === this.reachable) return;
    this.reachable = ok;
    if (ok) this.opts.logger?.info('database reachable again');
    else this.opts.logger?.warn({ err: err?.message }, 'database unreachable');
  }

  async get(family: EntityName, id: string): Promise<Entity | null> {
    this.assertFamily(family);
    return this.withClient(`reading ${family}`, (c) => readEntity(c, family, id));
  }

  async getByField(family: EntityName, field: string, value: unknown): Promise<Entity | null> {
    const def = this.opts.definitions[family];
    if (!def) throw new TypeError(`unknown entity family ${String(family)}`);
    if (field === 'id') return typeof value === 'string' ? this.get(family, value) : null;
    if (!def.uniqueFields.includes(field)) throw new TypeError(`${family}.${field} is not a unique field`);
    return this.withClient(`reading ${family}`, (c) => readEntityByKey(c, family, field, value));
  }

  async list(family: EntityName, opts: ListOptions): Promise<Page> {
    this.assertFamily(family);
    this.assertOpen();
    return this.withClient(`listing ${family}`, (c) => readPage(c, family, opts));
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
      const previous = new Map<string, Entity>();
      for (const family of this.families()) {
        const rows = this.mirror.family(family);
        for (const id of [...rows.keys()].sort()) previous.set(`${family}/${id}`, rows.get(id) as Entity);
      }
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

  /**
   * One write transaction. Locking the version row serialises writers across every control plane;
   * the mirror is then caught up to exactly the locked version, so the shared rules (TxnCore) decide
   * on what the database holds, and the row changes, the version bump, the change row and the
   * notification all commit together.
   */
  private write<T>(action: string, body: Body<T>): Promise<{ result: T; version: number }> {
    return this.mutex.run(() =>
      this.withClient(action, async (c) => {
        await c.query('BEGIN');
        try {
          const locked = await readVersion(c, true);
          await this.catchUpLocked(c, locked);
          const { result, overlay, changes, always } = await body();
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
          this.markReachable(true);
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
    const previous = new Map<string, Entity>();
    for (const family of this.families()) {
      const rows = this.mirror.family(family);
      for (const id of [...rows.keys()].sort()) previous.set(`${family}/${id}`, rows.get(id) as Entity);
    }
    const created: Change[] = [];
    const all: { family: EntityName; entity: Entity }[] = [];
    for (const family of this.families()) {
      for (const entity of config[family] ?? []) {
        created.push({ op: 'create', family, id: entity.id, entity, previous: null });
        all.push({ family, entity });
      }
    }
    const changes = replaceChanges(previous, created);
    const before = this.mirror.version;
    this.mirror.load(version, all);
    this.stale = false;
    if (!announce || (version === before && changes.length === 0)) return;
    this.opts.logger?.warn({ from: before, to: version }, 'store change log does not reach back; reloaded');
    for (const listener of this.listeners) {
      try {
        listener({ version, changes });
      } catch (err) {
        this.opts.logger?.error({ err, version }, 'store change listener failed');
      }
    }
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
        await this.withClient('reading the change log', async (c) => {
          const current = await readVersion(c, false);
          if (current === this.mirror.version && !this.stale) return;
          // One REPEATABLE READ snapshot, so a reload sees a version and the rows of that version.
          await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
          try {
            await this.catchUpLocked(c, await readVersion(c, false));
            await c.query('COMMIT');
          } catch (err) {
            await c.query('ROLLBACK').catch(() => undefined);
            throw err;
          }
        });
        this.markReachable(true);
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
    return this.readTxn('reading a snapshot', (c) => readSnapshot(c, this.families()));
  }

  lastSnapshot(): StoreSnapshot {
    return { version: this.mirror.version, config: this.mirror.config() };
  }

  async version(): Promise<number> {
    return this.withClient('reading the version', (c) => readVersion(c, false));
  }

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async changesSince(version: number): Promise<ChangeEvent[] | null> {
    return this.readTxn('reading the change log', (c) => readChangesSince(c, version));
  }

  records<T>(namespace: string): RecordTable<T> {
    if (!/^[a-z0-9_-]{1,64}$/.test(namespace)) throw new TypeError(`invalid record namespace '${namespace}'`);
    const checkId = (id: string) => {
      if (id.length === 0 || id.length > 256 || id.includes('/'))
        throw new TypeError(`invalid record id '${id}'`);
    };
    // Outside config transactions: no version bump, no change event, no mutex.
    return {
      load: () =>
        this.withClient(`reading ${namespace} records`, async (c) => {
          const res = await c.query<{ value: T }>(
            'SELECT value FROM hg_records WHERE namespace = $1 ORDER BY id',
            [namespace],
          );
          return res.rows.map((r) => r.value);
        }),
      put: async (id, value) => {
        checkId(id);
        await this.withClient(`writing a ${namespace} record`, (c) =>
          c.query(
            `INSERT INTO hg_records (namespace, id, value) VALUES ($1, $2, $3::json)
             ON CONFLICT (namespace, id) DO UPDATE SET value = EXCLUDED.value`,
            [namespace, id, JSON.stringify(value)],
          ),
        );
      },
      delete: async (id) => {
        checkId(id);
        await this.withClient(`deleting a ${namespace} record`, (c) =>
          c.query('DELETE FROM hg_records WHERE namespace = $1 AND id = $2', [namespace, id]),
        );
      },
    };
  }

  async ping(): Promise<boolean> {
    if (this.closed) return false;
    try {
      await this.pool.query('SELECT 1');
      this.markReachable(true);
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
    await this.pool.end().catch(() => undefined);
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
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const { version, config } = await readSnapshot(
        client,
        ENTITY_NAMES.filter((f) => opts.definitions[f]),
      );
      await client.query('COMMIT');
      const all: { family: EntityName; entity: Entity }[] = [];
      for (const family of ENTITY_NAMES)
        for (const entity of config[family] ?? []) all.push({ family, entity });
      mirror.load(version, all);
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw toDbError(err, 'loading the store');
  }
  return new PgStore(pool, opts, mirror);
}
