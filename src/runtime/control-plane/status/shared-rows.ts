import type { Clock } from '../../protocol/clock.js';
import type { DataPlaneRow, DataPlaneRowStore, PersistedDataPlaneRow } from './data-plane-registry.js';

/**
 * The rows other control planes persisted in a shared store (PostgreSQL: every CP of the cluster
 * writes the same records table), so `/clustering/data-planes` on any CP lists every DP of the cluster.
 * Read through with a short cache: a listing costs at most one query per `cacheMs` however often it is
 * asked for, and a database outage leaves the last rows read in place rather than failing the listing.
 */

/** What the shared view needs. */
export interface SharedRowsOptions {
  store: DataPlaneRowStore;
  clock: Clock;
  /** This CP's node id: rows it wrote itself are its own registry's business, not shared ones. */
  controlPlaneId: string | null;
  /** How long one read of the store answers listings. */
  cacheMs: number;
  /** conf.cluster_ping_interval: a foreign row is live while its last_seen is within two of them. */
  pingIntervalSeconds: number;
  onError?: (err: unknown) => void;
}

/** The read-through view of rows written by other CPs. */
export interface SharedRows {
  /** Reads the store again when the cached read is older than `cacheMs` (concurrent calls share one). */
  refresh(): Promise<void>;
  /** The cached foreign rows, with `status` as this CP judges it now. */
  rows(): DataPlaneRow[];
  /** Drops a row from the cache; true when it was there. */
  forget(id: string): boolean;
}

/**
 * Whether a row written by another CP still describes a live connection. The writing CP refreshes
 * last_seen on every ping, so a row it stopped refreshing (that CP died, or the DP left) goes stale
 * within two ping intervals; a row its writer marked disconnected stays so.
 */
export function foreignStatus(
  row: Pick<DataPlaneRow, 'status' | 'last_seen'>,
  nowSec: number,
  pingIntervalSeconds: number,
): DataPlaneRow['status'] {
  return row.status === 'connected' && nowSec - row.last_seen <= 2 * pingIntervalSeconds
    ? 'connected'
    : 'disconnected';
}

/**
 * One list out of this CP's rows and the foreign ones: a DP connected here is shown as this CP sees
 * it; otherwise the most recently seen row wins (a DP that moved from here to another CP is shown by
 * the CP it is on now). Ordered by id for stable pagination.
 */
export function mergeRows(local: readonly DataPlaneRow[], foreign: readonly DataPlaneRow[]): DataPlaneRow[] {
  const out = new Map(local.map((r) => [r.id, r]));
  for (const row of foreign) {
    const mine = out.get(row.id);
    if (!mine || (mine.status !== 'connected' && row.last_seen > mine.last_seen)) out.set(row.id, row);
  }
  return [...out.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Creates the shared view over `opts.store`. */
export function createSharedRows(opts: SharedRowsOptions): SharedRows {
  let cache = new Map<string, PersistedDataPlaneRow>();
  let loadedAt = -Infinity;
  let inflight: Promise<void> | null = null;

  const load = async () => {
    try {
      const rows = await opts.store.load();
      const next = new Map<string, PersistedDataPlaneRow>();
      for (const row of rows) {
        if (opts.controlPlaneId !== null && row.control_plane_id === opts.controlPlaneId) continue;
        next.set(row.id, row);
      }
      cache = next;
    } catch (err) {
      // The last rows read stay: a listing during a database outage shows what was known.
      opts.onError?.(err);
    } finally {
      loadedAt = opts.clock.now();
    }
  };

  return {
    refresh() {
      if (inflight) return inflight;
      if (opts.clock.now() - loadedAt < opts.cacheMs) return Promise.resolve();
      inflight = load().finally(() => {
        inflight = null;
      });
      return inflight;
    },
    rows() {
      const nowSec = Math.floor(opts.clock.now() / 1000);
      return [...cache.values()].map((stored) => {
        const { control_plane_id: _writer, ...row } = stored;
        return { ...row, status: foreignStatus(row, nowSec, opts.pingIntervalSeconds) };
      });
    },
    forget(id) {
      return cache.delete(id);
    },
  };
}
