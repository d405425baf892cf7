import { ENTITY_NAMES, type Entity, type EntityName } from '../../config/entities/definition.js';
import { DbError } from '../../errors.js';
import { keepTimestamps, replaceChanges } from './replace-diff.js';
import type { Change, StoreConfig } from './store.js';
import type { Definitions, TxnCore } from './write-txn.js';

/**
 * The rules of `Store.replaceSelected` (POST /config?select_tags), written once for every backend: the
 * entities carrying the tag are replaced by the posted ones, every other entity is written back as it
 * was, and the whole merged set goes through the same deferred foreign-key check as replaceAll.
 */

/** Whether `entity` carries `tag` in its `tags` array. */
export function hasTag(entity: Entity, tag: string): boolean {
  return Array.isArray(entity.tags) && (entity.tags as unknown[]).includes(tag);
}

/**
 * Refuses a posted config holding an entity without the tag: it would be written outside the selection,
 * and the next selective replace could no longer see it. The Admin API reports this with document
 * paths first; this is the store's own guard.
 */
export function assertAllTagged(config: StoreConfig, tag: string, defs: Definitions): void {
  for (const family of ENTITY_NAMES) {
    if (!defs[family]) continue;
    for (const entity of config[family] ?? []) {
      if (!hasTag(entity, tag)) {
        throw new DbError(
          'DECLARATIVE_CONFIG',
          `'${family}' entity '${entity.id}' does not carry the tag '${tag}'`,
          {
            [family]: `entity '${entity.id}' must carry the tag '${tag}'`,
          },
        );
      }
    }
  }
}

/**
 * Writes the merged set into `core` (over a cleared overlay) and returns the changes against
 * `previous` (every entity keyed `family/id`, families in topological order). Throws the store's
 * FOREIGN_KEY_VIOLATION / UNIQUE_VIOLATION when the merge breaks a rule.
 */
export function writeSelected(
  core: TxnCore,
  families: readonly EntityName[],
  previous: ReadonlyMap<string, Entity>,
  config: StoreConfig,
  tag: string,
): Change[] {
  const kept = new Map<EntityName, Entity[]>();
  for (const [key, entity] of previous) {
    if (hasTag(entity, tag)) continue;
    const family = key.slice(0, key.indexOf('/')) as EntityName;
    const list = kept.get(family) ?? [];
    list.push(entity);
    kept.set(family, list);
  }
  for (const family of families) {
    for (const entity of kept.get(family) ?? []) core.insert(family, entity, true);
    for (const entity of config[family] ?? []) {
      core.insert(family, keepTimestamps(entity, previous.get(`${family}/${entity.id}`)), true);
    }
  }
  core.checkAllForeignKeys();
  return replaceChanges(previous, core.changes);
}
