import type { Entity, EntityName } from '../../config/entities/definition.js';

/**
 * The control plane's configuration store. Every backend (LMDB now, PostgreSQL later) implements this
 * interface with the same semantics, so the Admin API and the clustering code never know which one runs.
 * Semantics are SQL-friendly on purpose: reads are point lookups or ordered keyset pages, writes happen
 * in a transaction that enforces unique and foreign keys, and each committed transaction bumps one
 * monotonically increasing version (a SERIAL column in PostgreSQL).
 */

/** The flat declarative form the store imports and exports (`_format_version` + families in order). */
export type StoreConfig = { _format_version: string; _transform?: boolean } & {
  [F in EntityName]?: Entity[];
};

/** Options of one page of `list`. */
export interface ListOptions {
  /** Page size, 1..1000 (the Admin API checks the range). */
  size: number;
  /** The opaque offset of a previous page's `offset`; an invalid one throws DbError INVALID_OFFSET. */
  offset?: string | null;
  /** Only entities carrying these tags: all of them (`and`) or any of them (`or`). */
  tags?: readonly string[];
  tagsMode?: 'and' | 'or';
  /** Only entities whose foreign key `field` references `id` (`/services/{id}/routes`). */
  foreign?: { field: string; id: string };
}

/** One page: `offset` is null on the last page. */
export interface Page {
  data: Entity[];
  offset: string | null;
}

/** What happened to one entity in a committed transaction. */
export interface Change {
  op: 'create' | 'update' | 'delete';
  family: EntityName;
  id: string;
  /** The entity after the change (null for a delete). */
  entity: Entity | null;
  /** The entity before the change (null for a create). */
  previous: Entity | null;
}

/** The changes of one committed transaction; `version` is the config version it produced. */
export interface ChangeEvent {
  version: number;
  changes: Change[];
}

/** Listener of committed changes; called after the commit, never inside a transaction. */
export type ChangeListener = (event: ChangeEvent) => void;

/** What a selective replace committed: the version after it and the entities it changed. */
export interface SelectedReplace {
  version: number;
  changes: Change[];
}

/** A consistent view of everything at one version (one read transaction). */
export interface StoreSnapshot {
  version: number;
  config: StoreConfig;
}

/**
 * The write side of a transaction. Reads inside it see its own writes. Entities passed in are already
 * validated (validateEntity); the store enforces cross-entity rules and sets the timestamps.
 */
export interface WriteTxn {
  get(family: EntityName, id: string): Promise<Entity | null>;
  getByField(family: EntityName, field: string, value: unknown): Promise<Entity | null>;
  /** Inserts a new entity; an existing id is a PRIMARY_KEY_VIOLATION. */
  insert(family: EntityName, entity: Entity): Promise<Entity>;
  /** Replaces an existing entity (NOT_FOUND if absent); keeps `created_at`, bumps `updated_at`. */
  update(family: EntityName, entity: Entity): Promise<Entity>;
  /** Inserts or replaces by id. */
  upsert(family: EntityName, entity: Entity): Promise<Entity>;
  /**
   * Deletes by id (null when absent). Children follow their foreign key's `onDelete`: `cascade` deletes
   * them, `restrict` refuses with FOREIGN_KEY_VIOLATION.
   */
  delete(family: EntityName, id: string): Promise<Entity | null>;
}

/**
 * A small side table of JSON records outside the configuration: no version bump, no change events,
 * not exported. For runtime state that should survive a restart, e.g. the data-plane status rows of
 * `/clustering/data-planes`. PostgreSQL: one table keyed by (namespace, id).
 */
export interface RecordTable<T> {
  load(): Promise<T[]>;
  put(id: string, value: T): Promise<void>;
  delete(id: string): Promise<void>;
}

/** The store. All methods may throw DbError; anything else is a backend failure (DATABASE_ERROR). */
export interface Store {
  /** The backend's name, as `database` in kong.conf (`lmdb`, `postgres`). */
  readonly backend: string;
  get(family: EntityName, id: string): Promise<Entity | null>;
  /** Looks up by a unique field (`name`, `username`, ...). */
  getByField(family: EntityName, field: string, value: unknown): Promise<Entity | null>;
  list(family: EntityName, opts: ListOptions): Promise<Page>;
  /** Runs `fn` in one write transaction: all of it commits (one version bump) or none of it. */
  transaction<T>(fn: (tx: WriteTxn) => Promise<T>): Promise<T>;
  /** Replaces everything with `config` atomically (POST /config); returns the new version. */
  replaceAll(config: StoreConfig): Promise<number>;
  /**
   * Replaces only the entities carrying `tag` with `config` (whose entities must all carry it), writing
   * every other entity back untouched, atomically (POST /config?select_tags). A replace that changes
   * nothing commits nothing: the version stays, so data planes see no new config.
   */
  replaceSelected(config: StoreConfig, tag: string): Promise<SelectedReplace>;
  /** Everything at one version. */
  snapshot(): Promise<StoreSnapshot>;
  /** The current config version (0 for an empty, never written store). */
  version(): Promise<number>;
  /** Subscribes to committed changes; returns the unsubscribe function. */
  onChange(listener: ChangeListener): () => void;
  /**
   * The change events after `version`, oldest first, or null when the bounded log no longer reaches
   * back that far (the caller then needs a full snapshot).
   */
  changesSince(version: number): Promise<ChangeEvent[] | null>;
  /** The record table `namespace` (`[a-z0-9_-]+`), created on first write. */
  records<T>(namespace: string): RecordTable<T>;
  /** Whether the backend answers (GET /status `database.reachable`). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
