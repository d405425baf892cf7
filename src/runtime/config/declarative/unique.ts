import type { Entity, EntityName } from '../entities/definition.js';
import { ENTITY_DEFINITIONS } from '../entities/index.js';
import type { DocPath } from './flatten.js';

/** A validated entity with where it was written. */
export interface PlacedEntity {
  family: EntityName;
  entity: Entity;
  path: DocPath;
}

function show(v: unknown): string {
  return typeof v === 'object' && v !== null && 'id' in v ? String((v as { id: unknown }).id) : String(v);
}

/** Kong's uniqueness checks across the document: ids, unique fields and composite keys per family. */
export function checkUniqueness(entities: readonly PlacedEntity[]): { path: DocPath; message: string }[] {
  const issues: { path: DocPath; message: string }[] = [];
  const seen = new Map<string, true>();
  const claim = (key: string, path: DocPath, message: string) => {
    if (seen.has(key)) issues.push({ path, message });
    else seen.set(key, true);
  };
  for (const { family, entity, path } of entities) {
    const def = ENTITY_DEFINITIONS[family];
    claim(`${family}\0id\0${entity.id}`, [...path, 'id'], `uniqueness violation: '${family}' entity with primary key set to '${entity.id}' already declared`);
    for (const field of def.uniqueFields) {
      const v = entity[field];
      if (v === null || v === undefined) continue;
      claim(`${family}\0${field}\0${String(v)}`, [...path, field], `uniqueness violation: '${family}' entity with ${field} set to '${String(v)}' already declared`);
    }
    if (def.compositeUnique) {
      const values = def.compositeUnique.map((f) => show(entity[f] ?? null));
      const names = def.compositeUnique.join(', ');
      claim(
        `${family}\0composite\0${JSON.stringify(values)}`,
        [...path, '@entity'],
        `uniqueness violation: '${family}' entity with (${names}) set to (${values.join(', ')}) already declared`,
      );
    }
  }
  return issues;
}
