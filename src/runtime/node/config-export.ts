import type { Entity, EntityName } from '../config/entities/definition.js';
import { exportDeclarative } from '../config/declarative/index.js';
import { configHashes, type ConfigHashes } from '../config/hash.js';
import type { StoreSnapshot } from '../control-plane/store/store.js';

/** What a data plane (or the proxy half of a traditional node) is given: the export and its hashes. */
export interface ExportedConfig {
  version: number;
  config: Record<string, unknown>;
  hashes: ConfigHashes;
}

const fkId = (e: Entity, field: string): string | null => {
  const v = e[field] as { id?: unknown } | null | undefined;
  return v && typeof v.id === 'string' ? v.id : null;
};

/**
 * The configuration data planes run, from a store snapshot: as Kong's export for DPs, disabled
 * services (with their routes and plugins) and disabled plugins are left out, so a DP never has to know
 * about them and the config hash covers exactly what is served.
 */
export function exportForDataPlanes(snapshot: StoreSnapshot): ExportedConfig {
  const byFamily: Partial<Record<EntityName, Entity[]>> = {};
  for (const [family, entities] of Object.entries(snapshot.config)) {
    if (Array.isArray(entities)) byFamily[family as EntityName] = entities;
  }
  const disabledServices = new Set(
    (byFamily.services ?? []).filter((s) => s.enabled === false).map((s) => s.id),
  );
  if (disabledServices.size > 0) {
    byFamily.services = byFamily.services!.filter((s) => !disabledServices.has(s.id));
  }
  const droppedRoutes = new Set<string>();
  if (disabledServices.size > 0 && byFamily.routes) {
    byFamily.routes = byFamily.routes.filter((r) => {
      const service = fkId(r, 'service');
      const keep = service === null || !disabledServices.has(service);
      if (!keep) droppedRoutes.add(r.id);
      return keep;
    });
  }
  if (byFamily.plugins) {
    byFamily.plugins = byFamily.plugins.filter((p) => {
      if (p.enabled === false) return false;
      const service = fkId(p, 'service');
      const route = fkId(p, 'route');
      return (
        !(service !== null && disabledServices.has(service)) && !(route !== null && droppedRoutes.has(route))
      );
    });
  }
  const config = exportDeclarative(byFamily) as unknown as Record<string, unknown>;
  return { version: snapshot.version, config, hashes: configHashes(config) };
}
