import type { Entity } from '../../../config/entities/definition.js';
import type { DeltaChange } from '../../../protocol/v2/messages.js';
import type { ChangeEvent } from '../../store/store.js';
import type { VersionedExport } from './delta-source.js';

type Obj = Record<string, unknown>;

const fkId = (e: Obj | null | undefined, field: string): string | null => {
  const v = e?.[field] as { id?: unknown } | null | undefined;
  return v && typeof v.id === 'string' ? v.id : null;
};
const enabled = (e: Obj | null): boolean => e !== null && e.enabled !== false;

/**
 * The delta from version `from` to `target.version`: one upsert or delete per entity touched in
 * between, in commit order, each carrying the entity as the export for DPs has it at the target (or a
 * delete when the export leaves it out). Null when the events do not cover every version in between
 * (log horizon, a replaced store, versions skipped by another CP): the DP then needs a snapshot.
 *
 * The export hides the routes and plugins of a disabled service and the plugins of a dropped route,
 * so toggling a service's `enabled`, or touching a route, also touches those dependants. Anything this
 * misses is caught by the DP, which checks the resulting hash and asks for a snapshot.
 */
export function buildDeltaChanges(
  events: readonly ChangeEvent[],
  from: number,
  target: VersionedExport,
): DeltaChange[] | null {
  if (target.version <= from) return null;
  let expected = from + 1;
  const touched = new Map<string, { family: string; id: string }>();
  const touch = (family: string, id: string) => {
    const key = `${family}\u0000${id}`;
    // Re-inserting keeps the latest position: the order of the last change wins, as in commit order.
    touched.delete(key);
    touched.set(key, { family, id });
  };
  const toggledServices = new Set<string>();
  const touchedRoutes = new Set<string>();
  for (const event of events) {
    if (event.version <= from) continue;
    if (event.version > target.version) break;
    if (event.version !== expected) return null;
    expected++;
    for (const c of event.changes) {
      touch(c.family, c.id);
      if (c.family === 'services' && enabled(c.previous) !== enabled(c.entity)) toggledServices.add(c.id);
      if (c.family === 'routes') touchedRoutes.add(c.id);
    }
  }
  if (expected !== target.version + 1) return null;

  if (toggledServices.size > 0) {
    for (const r of target.store.routes ?? []) {
      const service = fkId(r, 'service');
      if (service !== null && toggledServices.has(service)) {
        touch('routes', r.id);
        touchedRoutes.add(r.id);
      }
    }
  }
  if (toggledServices.size > 0 || touchedRoutes.size > 0) {
    for (const p of target.store.plugins ?? []) {
      const service = fkId(p, 'service');
      const route = fkId(p, 'route');
      if ((service !== null && toggledServices.has(service)) || (route !== null && touchedRoutes.has(route)))
        touch('plugins', p.id);
    }
  }

  // The export's own lookup when it has one (a binary search); else index the touched families.
  const indexes = new Map<string, Map<string, Entity>>();
  const exported = (family: string, id: string): Entity | null => {
    if (target.find) return target.find(family, id);
    let index = indexes.get(family);
    if (!index) {
      index = new Map();
      const list = target.config[family];
      if (Array.isArray(list)) for (const e of list as Entity[]) index.set(e.id, e);
      indexes.set(family, index);
    }
    return index.get(id) ?? null;
  };
  const changes: DeltaChange[] = [];
  for (const { family, id } of touched.values()) {
    const entity = exported(family, id);
    changes.push(entity ? { op: 'upsert', family, id, entity } : { op: 'delete', family, id, entity: null });
  }
  return changes;
}
