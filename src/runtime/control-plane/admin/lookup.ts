import type { Entity, EntityName } from '../../config/entities/definition.js';
import { refId } from '../store/keys.js';
import type { Store } from '../store/store.js';
import type { EntityModel } from './entity-model.js';
import { invalidPrimaryKey } from './admin-errors.js';
import { SCOPED_ENDPOINT_KEYS } from './resources.js';

/**
 * Finds the entity a URL segment names, as Kong's endpoints do: a UUID is an id (and, for families
 * with an endpoint key, falls back to that key, since a name may look like a UUID); anything else is
 * the endpoint key (`/services/{name}`, `/upstreams/{u}/targets/{host:port}`). A family without an
 * endpoint key answers a non-UUID with INVALID_PRIMARY_KEY (400).
 */

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a URL segment is a UUID. */
export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}

/** Restricts a lookup to the children of one parent (`/services/{s}/routes/{r}`). */
export interface Scope {
  field: string;
  parentId: string;
}

/** The endpoint key of a family within an optional scope. */
export function endpointKeyOf(model: EntityModel, family: EntityName, scoped: boolean): string | undefined {
  return model.definitions[family].endpointKey ?? (scoped ? SCOPED_ENDPOINT_KEYS[family] : undefined);
}

function inScope(entity: Entity | null, scope: Scope | undefined): Entity | null {
  if (!entity || !scope) return entity;
  return refId(entity[scope.field]) === scope.parentId ? entity : null;
}

// Scoped keys are unique only together with the parent: look among the parent's children.
async function findInScope(store: Store, family: EntityName, key: string, value: string, scope: Scope) {
  let offset: string | null = null;
  do {
    const page = await store.list(family, {
      size: 1000,
      offset,
      foreign: { field: scope.field, id: scope.parentId },
    });
    const hit = page.data.find((e) => e[key] === value);
    if (hit) return hit;
    offset = page.offset;
  } while (offset);
  return null;
}

/** Resolves `segment` to an entity of `family` (null when there is none). */
export async function resolveEntity(
  store: Store,
  model: EntityModel,
  family: EntityName,
  segment: string,
  scope?: Scope,
): Promise<Entity | null> {
  const key = endpointKeyOf(model, family, scope !== undefined);
  if (isUuid(segment)) {
    const byId = inScope(await store.get(family, segment), scope);
    if (byId || !key) return byId;
  } else if (!key) {
    throw invalidPrimaryKey(segment);
  }
  if (!key) return null;
  if (model.definitions[family].uniqueFields.includes(key)) {
    return inScope(await store.getByField(family, key, segment), scope);
  }
  return scope ? findInScope(store, family, key, segment, scope) : null;
}
