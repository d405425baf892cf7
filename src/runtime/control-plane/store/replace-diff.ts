import type { Entity } from '../../config/entities/definition.js';
import type { Change } from './store.js';

/**
 * replaceAll's rules, shared by every backend (LMDB and PostgreSQL must report the same changes for the
 * same file): re-posting a file keeps timestamps of what did not change, and consumers see only the
 * entities that differ.
 */

/** JSON with object keys sorted, so equal entities compare equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/**
 * A declarative file usually carries no timestamps: an entity still there keeps its `created_at`, and
 * its `updated_at` too when nothing else changed, so posting the same file twice changes nothing.
 */
export function keepTimestamps(entity: Entity, before: Entity | null | undefined): Entity {
  if (!before || entity.created_at !== undefined) return entity;
  const { created_at, updated_at, ...beforeRest } = before;
  const { updated_at: givenUpdatedAt, ...entityRest } = entity;
  const unchanged = canonicalJson(beforeRest) === canonicalJson(entityRest);
  return { ...entity, created_at, updated_at: givenUpdatedAt ?? (unchanged ? updated_at : undefined) };
}

/**
 * The changes of a replaceAll: deletes of what is gone (children before parents: `previous` holds the
 * old entities in family order, so reversing it puts dependants first), then creates and real updates.
 */
export function replaceChanges(previous: ReadonlyMap<string, Entity>, inserted: readonly Change[]): Change[] {
  const out: Change[] = [];
  const seen = new Set<string>();
  for (const c of inserted) {
    const key = `${c.family}/${c.id}`;
    seen.add(key);
    const before = previous.get(key) ?? null;
    if (!before) out.push(c);
    else if (canonicalJson(before) !== canonicalJson(c.entity))
      out.push({ ...c, op: 'update', previous: before });
  }
  const deletes: Change[] = [];
  for (const [key, before] of previous) {
    if (seen.has(key)) continue;
    const slash = key.indexOf('/');
    deletes.push({
      op: 'delete',
      family: key.slice(0, slash) as Change['family'],
      id: key.slice(slash + 1),
      entity: null,
      previous: before,
    });
  }
  return [...deletes.reverse(), ...out];
}
