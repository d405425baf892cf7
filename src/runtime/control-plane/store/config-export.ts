import { exportDeclarative } from '../../config/declarative/export.js';
import type { DeclarativeConfig } from '../../config/declarative/types.js';
import { configHashes, type ConfigHashes } from '../../config/hash.js';
import { refId } from './keys.js';
import type { Store, StoreConfig } from './store.js';

/** The store's content at one version in the form data planes get: declarative export + Kong's hashes. */
export interface ExportedConfig {
  version: number;
  config: DeclarativeConfig;
  hashes: ConfigHashes;
}

/**
 * What data planes get, as Kong's export for DPs: disabled services are left out with their routes
 * and the plugins scoped to either, and disabled plugins are left out (kong/db/declarative/export.lua).
 */
export function omitDisabled(config: StoreConfig): StoreConfig {
  const disabledServices = new Set(
    (config.services ?? []).filter((s) => s.enabled === false).map((s) => s.id),
  );
  if (disabledServices.size === 0 && !(config.plugins ?? []).some((p) => p.enabled === false)) return config;
  const droppedRoutes = new Set(
    (config.routes ?? []).filter((r) => disabledServices.has(refId(r.service) ?? '')).map((r) => r.id),
  );
  const out: StoreConfig = { ...config };
  if (config.services) out.services = config.services.filter((s) => !disabledServices.has(s.id));
  if (config.routes) out.routes = config.routes.filter((r) => !droppedRoutes.has(r.id));
  if (config.plugins) {
    out.plugins = config.plugins.filter(
      (p) =>
        p.enabled !== false &&
        !disabledServices.has(refId(p.service) ?? '') &&
        !droppedRoutes.has(refId(p.route) ?? ''),
    );
  }
  return out;
}

/**
 * Exports the store for CP→DP sync (disabled entities omitted), hashing each version once: pushes to many DPs, and repeated
 * pushes of an unchanged store, reuse the last export instead of re-serialising everything.
 */
export function createConfigExporter(store: Store): { current(): Promise<ExportedConfig> } {
  let cached: ExportedConfig | null = null;
  return {
    async current() {
      if (cached && cached.version === (await store.version())) return cached;
      const snap = await store.snapshot();
      if (cached && cached.version === snap.version) return cached;
      const config = exportDeclarative(omitDisabled(snap.config));
      cached = { version: snap.version, config, hashes: configHashes(config) };
      return cached;
    },
  };
}
