import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../../protocol/clock.js';
import { EMPTY_CONFIG_HASH, type SyncStatus } from '../../protocol/constants.js';

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

/** A row as the Admin API shows it: with `ttl`, the seconds left before it is purged. */
export type DataPlaneView = DataPlaneRow & { ttl: number };

/**
 * Where rows survive a CP restart, if the store offers a place. Without one the registry is in memory
 * and a restarted CP lists DPs again as they reconnect.
 */
export interface DataPlaneRowStore {
  load(): Promise<DataPlaneRow[]>;
  put(row: DataPlaneRow): Promise<void>;
  delete(id: string): Promise<void>;
}

const MAX_ERRORS = 5;

/** Events: `changed` (row) after every write, `removed` (id). */
export interface DataPlaneRegistry extends EventEmitter {
  /** Loads persisted rows (all marked disconnected) and starts the purge sweep. */
  start(): Promise<void>;
  /** Creates or updates a row; `last_seen`/`updated_at` are set from the clock. */
  upsert(id: string, patch: Partial<Omit<DataPlaneRow, 'id' | 'last_seen' | 'updated_at'>>): DataPlaneRow;
  /** A heartbeat: refreshes last_seen and the reported hash. */
  seen(id: string, configHash: string): void;
  get(id: string): DataPlaneView | undefined;
  /** All rows, ordered by id (stable pagination). */
  list(): DataPlaneView[];
  /** Forgets a row; false when there was none. */
  remove(id: string): boolean;
  /** Records a refused config and keeps the latest few. */
  recordError(id: string, error: Omit<DataPlaneConfigError, 'reported_at'>): void;
  /** Removes rows not seen for the purge delay (connected rows are never purged). */
  purge(): number;
  stop(): void;
}

/** The in-memory registry of DPs behind /clustering/* and the CP metrics. */
export function createDataPlaneRegistry(opts: {
  purgeDelaySeconds: number;
  clock: Clock;
  store?: DataPlaneRowStore;
  onStoreError?: (err: unknown) => void;
}): DataPlaneRegistry {
  const { purgeDelaySeconds, clock, store } = opts;
  const rows = new Map<string, DataPlaneRow>();
  const emitter = new EventEmitter() as DataPlaneRegistry;
  let sweep: TimerHandle | null = null;
  let stopped = false;
  const nowSec = () => Math.floor(clock.now() / 1000);
  const persist = (row: DataPlaneRow) => {
    store?.put(structuredClone(row)).catch((err) => opts.onStoreError?.(err));
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
        emitter.purge();
        scheduleSweep();
      },
      Math.min(60, purgeDelaySeconds) * 1000,
    );
  };

  emitter.start = async () => {
    if (store) {
      for (const row of await store.load()) rows.set(row.id, { ...row, status: 'disconnected' });
    }
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
  emitter.list = () => [...rows.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map(view);
  emitter.remove = (id) => {
    if (!rows.delete(id)) return false;
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
    return n;
  };
  emitter.stop = () => {
    stopped = true;
    clock.clearTimeout(sweep);
  };
  return emitter;
}
