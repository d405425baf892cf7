import type { ChangeEvent, Store, StoreSnapshot } from '../../store/store.js';
import type { ConfigSource } from '../config-source.js';
import { DataPlaneExport, type VersionedExport } from './export-state.js';

export type { VersionedExport } from './export-state.js';

/** What protocol v2 needs from the CP: versioned exports and the store's change log. */
export interface DeltaSource {
  current(): Promise<VersionedExport>;
  /** The store's `changesSince`: events after `version`, or null past the log's horizon. */
  changesSince(version: number): Promise<ChangeEvent[] | null>;
  /** Calls `listener` after each committed change; returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
}

/** Both sources over one store, sharing one export per version (v1 and v2 DPs then hash the same bytes). */
export interface StoreSources {
  delta: DeltaSource;
  v1: ConfigSource;
  /** Versions exported from a full snapshot and from change events (tests, benchmark). */
  readonly stats: { full: number; incremental: number };
  /** Stops following the store's events. */
  close(): void;
}

// Events held for the next `current()`; more than this and a snapshot is cheaper than replaying them.
const MAX_PENDING_EVENTS = 10_000;

/**
 * Builds the v1 and v2 config sources from a store. The export for DPs is kept up to date from the
 * store's change events (DataPlaneExport: only changed families are re-listed and re-hashed), and
 * rebuilt from a full snapshot at start and whenever the events do not lead exactly to the store's
 * version (a gap, events from another CP not seen, a failed listener). One export per version serves
 * both protocols, so v1 and v2 DPs hash the same bytes. `snapshot` may be replaced (e.g. the node's
 * last-known-snapshot fallback during a database outage).
 */
export function createStoreSources(
  store: Store,
  snapshot: () => Promise<StoreSnapshot> = () => store.snapshot(),
): StoreSources {
  let state: DataPlaneExport | null = null;
  let pending: ChangeEvent[] = [];
  // Counted for tests and the benchmark: how often a version needed the full export.
  const stats = { full: 0, incremental: 0 };
  const unsubscribeEvents = store.onChange((event) => {
    pending.push(event);
    if (pending.length > MAX_PENDING_EVENTS) {
      pending = [];
      state = null;
    }
  });
  const replay = (s: DataPlaneExport, events: readonly ChangeEvent[]) => {
    for (const e of events) {
      if (e.version <= s.current().version) continue;
      if (!s.apply(e)) return;
      stats.incremental++;
    }
  };
  const current = async (): Promise<VersionedExport> => {
    // The version is one read; a full snapshot of a large store is not, and most calls find no change.
    const version = state === null ? null : await store.version().catch(() => null);
    if (state !== null && version !== null && state.current().version <= version) {
      const s = state;
      const events = pending;
      pending = [];
      replay(s, events);
      // A commit is announced only once flushed; the log already has it (and whatever another CP wrote).
      if (s.current().version < version)
        replay(s, (await store.changesSince(s.current().version).catch(() => null)) ?? []);
      if (s.current().version >= version) return s.current();
    }
    const snap = await snapshot();
    if (state === null || state.current().version !== snap.version) {
      state = DataPlaneExport.fromSnapshot(snap);
      stats.full++;
      pending = pending.filter((e) => e.version > snap.version);
    }
    return state.current();
  };
  const onChange = (listener: () => void) => store.onChange(() => listener());
  return {
    delta: { current, changesSince: (v) => store.changesSince(v), onChange },
    v1: {
      snapshot: async () => {
        const c = await current();
        return { config: c.config, hashes: c.hashes };
      },
      onChange,
    },
    stats,
    close: unsubscribeEvents,
  };
}
