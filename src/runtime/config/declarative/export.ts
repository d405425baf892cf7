import { ENTITY_NAMES, type Entity, type EntityName } from '../entities/definition.js';
import type { DeclarativeConfig } from './types.js';

/**
 * The flat normalized form of a set of entities (GET /config, the CP's push): families in
 * ENTITY_NAMES order, empty families left out, entities sorted by id so the hash is stable.
 */
export function exportDeclarative(entitiesByFamily: Partial<Record<EntityName, readonly Entity[]>>): DeclarativeConfig {
  const out: DeclarativeConfig = { _format_version: '3.0', _transform: false };
  for (const family of ENTITY_NAMES) {
    const list = entitiesByFamily[family];
    if (list === undefined || list.length === 0) continue;
    out[family] = [...list].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
  return out;
}
