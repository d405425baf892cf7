import type { ConfigHashes } from '../../../protocol/messages.js';
import type { ChangeEvent, Store, StoreConfig, StoreSnapshot } from '../../store/store.js';
import type { ConfigSource } from '../config-source.js';

/** One config version as DPs get it, with the store's full (unfiltered) content at that version. */
export interface VersionedExport {
  version: number;
  /** The export for DPs (disabled services and plugins left out), as v1 sends it. */
  config: Record<string, unknown>;
  hashes: ConfigHashes;
  /** Everything in the store at `version`: deltas need it to find what a disabled service hides. */
  store: StoreConfig;
}

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
}

/**
 * Builds the v1 and v2 config sources from a store and the export function (exportForDataPlanes).
 * The export is made once per version whichever protocol asks first, so a v1 and a v2 DP on the same
 * version get the same config and the same hash. `snapshot` may be replaced (e.g. the node's
 * last-known-snapshot fallback during a database outage).
 */
export function createStoreSources(
  store: Store,
  exportConfig: (s: StoreSnapshot) => { config: Record<string, unknown>; hashes: ConfigHashes },
  snapshot: () => Promise<StoreSnapshot> = () => store.snapshot(),
): StoreSources {
  let cached: VersionedExport | null = null;
  const current = async (): Promise<VersionedExport> => {
    // The version is one read; a full snapshot of a large store is not, and most calls find no change.
    if (cached !== null) {
      const version = await store.version().catch(() => null);
      if (version === cached.version) return cached;
    }
    const snap = await snapshot();
    if (cached === null || cached.version !== snap.version) {
      const { config, hashes } = exportConfig(snap);
      cached = { version: snap.version, config, hashes, store: snap.config };
    }
    return cached;
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
  };
}
