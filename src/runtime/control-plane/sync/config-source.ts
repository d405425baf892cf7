import type { ConfigHashes } from '../../protocol/messages.js';

/** One version of the CP's configuration in declarative form, with its hashes. */
export interface ConfigSnapshot {
  /** The export: `_format_version`, entity families, nulls kept, disabled entities left out. */
  config: Record<string, unknown>;
  hashes: ConfigHashes;
}

/**
 * What CP sync needs from the store: the current export and a signal when it changes. The store
 * adapter (start-node) builds it from the store's `snapshot()`, `exportDeclarative` and `configHashes`.
 */
export interface ConfigSource {
  snapshot(): Promise<ConfigSnapshot>;
  /** Calls `listener` after each committed change; returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
}
