import type { EntityName } from '../../config/entities/definition.js';
import { DbError } from '../../errors.js';
import { luaPretty } from '../store/store-errors.js';
import type { Store } from '../store/store.js';
import type { EntityModel } from './entity-model.js';

/**
 * Kong lets a body name a foreign entity by its endpoint key instead of its id
 * (`{"service": {"name": "example_service"}}`, form `service.name=example_service`). This rewrites such
 * references to `{ id }` before validation; an unknown name is Kong's foreign key violation.
 */
export async function resolveForeignRefs(
  store: Store,
  model: EntityModel,
  family: EntityName,
  body: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  let out = body;
  for (const fk of model.definitions[family].foreignKeys) {
    const value = body[fk.field];
    if (typeof value !== 'object' || value === null || Array.isArray(value) || 'id' in value) continue;
    const refDef = model.definitions[fk.references];
    const key = refDef.endpointKey;
    if (key && !refDef.uniqueFields.includes(key)) continue;
    const entries = Object.entries(value);
    if (!key || entries.length !== 1 || entries[0]?.[0] !== key || typeof entries[0][1] !== 'string')
      continue;
    const target = await store.getByField(fk.references, key, entries[0][1]);
    if (!target) {
      const ref = { [key]: entries[0][1] };
      throw new DbError(
        'FOREIGN_KEY_VIOLATION',
        `the foreign key '${luaPretty(ref)}' does not reference an existing '${fk.references}' entity.`,
        { [fk.field]: ref },
      );
    }
    out = { ...out, [fk.field]: { id: target.id } };
  }
  return out;
}
