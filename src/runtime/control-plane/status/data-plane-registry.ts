import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../../protocol/clock.js';
import { EMPTY_CONFIG_HASH, type SyncStatus } from '../../protocol/constants.js';
import { createSharedRows, mergeRows, type SharedRows } from './shared-rows.js';

/** A config a DP refused (our extension of Kong's row): what it said, about which hash, and when. */
export interface DataPlaneConfigError {
  name: string;
  message: string;
  config_hash: string | null;
  fields?: unknown;
  reported_at: number;
}

/** One DP as the CP knows it (Kong's clustering_data_planes entity, plus `status` and `errors`). */
export interface DataPlaneRow {
  id: string;
  ip: string;
  hostname: string;
  version: string;
  config_hash: string;
  sync_status: SyncStatus;
  /** Unix seconds of the last frame (basic_info or ping). */
  last_seen: number;
  /** Unix seconds of the last change to the row. */
  updated_at: number;
  labels: Record<string, string>;
  cert_details: { expiry_timestamp: number | null };
  status: 'connected' | 'disconnected';
  /** Most recent first, at most MAX_ERRORS; cleared when the DP reports the hash it was sent. */
  errors: DataPlaneConfigError[];
}

/** A row as stored: with the node id of the CP that wrote it, so CPs sharing a store tell theirs apart. */
export type PersistedDataPlaneRow = DataPlaneRow & { control_plane_id?: string };

/** A row as the Admin API shows it: with `ttl`, the seconds left before it is purged. */
export type DataPlaneView = DataPlaneRow & { ttl: number };

/**
 * Where rows survive a CP restart, if the store offers a place. Without one the registry is in memory
 * and a restarted CP lists DPs again as they reconnect. On PostgreSQL the place is shared by every CP
 * of the cluster, which is how each of them lists the DPs of the others.
 */
export interface DataPlaneRowStore {
  load(): Promise<PersistedDataPlaneRow[]>;
  put(row: PersistedDataPlaneRow): Promise<void>;
  delete(id: string): Promise<void>;
}

const MAX_ERRORS = 5;

/** Events: `changed` (row) after every write, `removed` (id). */
export interface DataPlaneRegistry extends EventEmitter {
  /**
   * Loads this CP's persisted rows (all marked disconnected) and starts the purge sweep. With
   * `controlPlaneId` (this CP's node id; the store may be shared with other CPs) every row written is
   * tagged with it, and rows other CPs wrote are listed too.
   */
  start(controlPlaneId?: string): Promise<void>;
  /**
   * Reads the rows other CPs persisted in a shared store (at most once per `sharedCacheMs`); list()
   * shows what the last read found. A no-op without `controlPlaneId` or a store.
   */
  refresh(): Promise<void>;
  /** Creates or updates a row; `last_seen`/`updated_at` are set from the clock. */
  upsert(id: string, patch: Partial<Omit<DataPlaneRow, 'id' | 'last_seen' | 'updated_at'>>): DataPlaneRow;
  /** A heartbeat: refreshes last_seen and the reported hash. */
  seen(id: string, configHash: string): void;
  /** This CP's own row of a DP (the sync code's view: a DP connected or once connected here). */
  get(id: string): DataPlaneView | undefined;
  /**
   * Rows ordered by id (stable pagination): `cluster` (default) merges this CP's rows with those other
   * CPs persisted (as of the last refresh()), `local` is this CP's alone.
   */
  list(scope?: 'cluster' | 'local'): DataPlaneView[];
  /** Forgets a row, this CP's or another's (the owner writes it again on the DP's next ping); false when there was none. */
  remove(id: string): boolean;
  /** Records a refused config and keeps the latest few. */
  recordError(id: string, error: Omit<DataPlaneConfigError, 'reported_at'>): void;
  /** Removes rows not seen for the purge delay, stale foreign ones too (connected rows are never purged). */
  purge(): number;
  stop(): void;
}

/** The in-memory registry of DPs behind /clustering/* and the CP metrics. */
export function createDataPlaneRegistry(opts: {
  purgeDelaySeconds: number;
  clock: Clock;
  store?: DataPlaneRowStore;
  onStoreError?: (err: unknown) => void;
  /** conf.cluster_ping_interval (default 30): judges whether another CP's row is still live. */
  pingIntervalSeconds?: number;
  /** How long one read of other CPs' rows serves listings (default 1000 ms). */
  sharedCacheMs?: number;
}): DataPlaneRegistry {
  const { purgeDelaySeconds, clock, store } = opts;
  const pingIntervalSeconds = opts.pingIntervalSeconds ?? 30;
  const rows = new Map<string, DataPlaneRow>();
  // Both set by start(controlPlaneId): the node id is known only once the CP's prefix is set up.
  let cpId: string | null = null;
  let shared: SharedRows | null = null;
  const emitter = new EventEmitter() as DataPlaneRegistry;
  let sweep: TimerHandle | null = null;
  let stopped = false;
  const nowSec = () => Math.floor(clock.now() / 1000);
  const persist = (row: DataPlaneRow) => {
    const stored: PersistedDataPlaneRow = structuredClone(row);
    if (cpId !== null) stored.control_plane_id = cpId;
    store?.put(stored).catch((err) => opts.onStoreError?.(err));
  };
  const view = (row: DataPlaneRow): DataPlaneView => ({
    ...structuredClone(row),
    ttl: Math.max(0, purgeDelaySeconds - (nowSec() - row.last_seen)),
  });
  const write = (row: DataPlaneRow) => {
    row.updated_at = nowSec();
    rows.set(row.id, row);
    persist(row);
    emitter.emit('changed', row);
  };
  const scheduleSweep = () => {
    if (stopped) return;
    // Sweeping once a minute is enough: the purge delay is at least 60 s (Kong's minimum).
    sweep = clock.setTimeout(
      () => {
        // Foreign rows are purged from a fresh read, never from an old cache.
        void emitter.refresh().finally(() => {
          emitter.purge();
          scheduleSweep();
        });
      },
      Math.min(60, purgeDelaySeconds) * 1000,
    );
  };

  emitter.start = async (controlPlaneId) => {
    if (store && controlPlaneId !== undefined) {
      cpId = controlPlaneId;
      shared = createSharedRows({
        store,
        clock,
        controlPlaneId,
        cacheMs: opts.sharedCacheMs ?? 1000,
        pingIntervalSeconds,
        onError: opts.onStoreError,
      });
    }
    if (store) {
      for (const { control_plane_id: writer, ...row } of await store.load()) {
        // Another CP's rows are read through refresh(); rows without a writer predate shared stores.
        if (cpId !== null && writer !== undefined && writer !== cpId) continue;
        rows.set(row.id, { ...row, status: 'disconnected' });
      }
    }
    await shared?.refresh();
    emitter.purge();
    scheduleSweep();
  };
  emitter.upsert = (id, patch) => {
    const prev = rows.get(id);
    const row: DataPlaneRow = {
      id,
      ip: '',
      hostname: '',
      version: '',
      config_hash: EMPTY_CONFIG_HASH,
      sync_status: 'unknown',
      labels: {},
      cert_details: { expiry_timestamp: null },
      status: 'connected',
      errors: [],
      ...prev,
      ...patch,
      last_seen: patch.status === 'disconnected' && prev ? prev.last_seen : nowSec(),
      updated_at: nowSec(),
    };
    write(row);
    return row;
  };
  emitter.seen = (id, configHash) => {
    const row = rows.get(id);
    if (!row) return;
    row.last_seen = nowSec();
    row.config_hash = configHash;
    row.status = 'connected';
    // A DP that now runs the hash it once refused has recovered from that error.
    row.errors = row.errors.filter((e) => e.config_hash !== configHash);
    write(row);
  };
  emitter.get = (id) => {
    const row = rows.get(id);
    return row ? view(row) : undefined;
  };
  emitter.refresh = () => shared?.refresh() ?? Promise.resolve();
  emitter.list = (scope = 'cluster') =>
    mergeRows([...rows.values()], scope === 'cluster' && shared ? shared.rows() : []).map(view);
  emitter.remove = (id) => {
    const local = rows.delete(id);
    const foreign = shared?.forget(id) ?? false;
    if (!local && !foreign) return false;
    store?.delete(id).catch((err) => opts.onStoreError?.(err));
    emitter.emit('removed', id);
    return true;
  };
  emitter.recordError = (id, error) => {
    const row = rows.get(id);
    if (!row) return;
    row.errors = [{ ...error, reported_at: nowSec() }, ...row.errors].slice(0, MAX_ERRORS);
    write(row);
  };
  emitter.purge = () => {
    const cutoff = nowSec() - purgeDelaySeconds;
    let n = 0;
    for (const row of [...rows.values()]) {
      if (row.status !== 'connected' && row.last_seen <= cutoff && emitter.remove(row.id)) n++;
    }
    // A row whose CP died never gets its disconnect written: any CP of the cluster may purge it.
    for (const row of shared?.rows() ?? []) {
      if (
        row.status !== 'connected' &&
        row.last_seen <= cutoff &&
        !rows.has(row.id) &&
        emitter.remove(row.id)
      )
        n++;
    }
    return n;
  };
  emitter.stop = () => {
    stopped = true;
    clock.clearTimeout(sweep);
  };
  return emitter;
}
