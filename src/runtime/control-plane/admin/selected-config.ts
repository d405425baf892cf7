import { validateDeclarativeConfig, type DeclarativeConfig } from '../../config/declarative/index.js';
import { declarativeError } from '../../config/declarative/errors.js';
import { flattenDocument, type DocPath } from '../../config/declarative/flatten.js';
import { ENTITY_NAMES, type Entity, type EntityName } from '../../config/entities/definition.js';
import { ENTITY_DEFINITIONS } from '../../config/entities/index.js';
import { DbError } from '../../errors.js';
import { canonicalJson } from '../store/replace-diff.js';
import { hasTag } from '../store/replace-selected.js';
import type { Change, StoreConfig } from '../store/store.js';

/**
 * The checks of `POST /config?select_tags=<tag>` (ours, not Kong's: docs/admin-api-extensions.md), kept
 * apart from the route so they are pure: every posted entity must carry the tag, and the posted
 * entities merged with every stored entity NOT carrying it must form a valid configuration as a whole,
 * with problems reported at their place in the posted document (Kong's code 14).
 */

/** Counts of one family in a selective replace. */
export interface FamilyCounts {
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
}

/** One entity a selective replace creates, updates or deletes. */
export interface ChangedEntity {
  op: 'create' | 'update' | 'delete';
  family: EntityName;
  id: string;
  name?: string;
}

/** What a selective replace did (or, with dry_run, would do). */
export interface SelectedSummary {
  families: Partial<Record<EntityName, FamilyCounts>>;
  total: FamilyCounts;
  entities: ChangedEntity[];
}

// `services[0].routes[1].paths[0]` back into a document path.
function parsePath(text: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of text.matchAll(/([^.[\]]+)|\[(\d+)\]/g))
    out.push(m[2] !== undefined ? Number(m[2]) : (m[1] as string));
  return out;
}

/** Where each posted entity was written in the posted document (nested or flat), by `family/id`. */
function placesOf(raw: unknown, posted: DeclarativeConfig): Map<string, DocPath> {
  const places = new Map<string, DocPath>();
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const doc = raw as Record<string, unknown>;
    for (const item of flattenDocument(doc, doc._format_version !== '3.0').items) {
      places.set(`${item.family}/${item.id}`, item.path);
    }
  }
  // A body the walk cannot read back (never expected): the flat normalized place is still exact.
  for (const family of ENTITY_NAMES) {
    (posted[family] ?? []).forEach((e, i) => {
      if (!places.has(`${family}/${e.id}`)) places.set(`${family}/${e.id}`, [family, i]);
    });
  }
  return places;
}

// How a stored entity is named in a message: its endpoint key, else its name (plugins) and id.
function label(family: EntityName, entity: Entity): string {
  const key = ENTITY_DEFINITIONS[family].endpointKey;
  const value = key === undefined ? undefined : entity[key];
  if (typeof value === 'string') return `'${value}'`;
  return typeof entity.name === 'string' ? `'${entity.name}' ${entity.id}` : `'${entity.id}'`;
}

/**
 * Refuses the posted config unless every entity carries `tag` and, merged with the stored entities that
 * do not, it validates as a whole (references, uniqueness). `raw` is the posted document as written,
 * for the paths. Throws DbError DECLARATIVE_CONFIG listing every problem; changes nothing.
 */
export function checkSelectedReplace(
  posted: DeclarativeConfig,
  raw: unknown,
  stored: StoreConfig,
  tag: string,
): void {
  const places = placesOf(raw, posted);
  const untagged: { path: DocPath; message: string }[] = [];
  for (const family of ENTITY_NAMES) {
    for (const entity of posted[family] ?? []) {
      if (hasTag(entity, tag)) continue;
      untagged.push({
        path: [...(places.get(`${family}/${entity.id}`) ?? [family]), 'tags'],
        message: `must contain '${tag}' (every entity posted with select_tags carries the tag)`,
      });
    }
  }
  if (untagged.length > 0) throw declarativeError(untagged);

  // Kept entities first: a uniqueness clash is then reported at the posted entity, not the kept one.
  const merged: Record<string, unknown> = { _format_version: '3.0', _transform: false };
  const kept = new Map<EntityName, Entity[]>();
  for (const family of ENTITY_NAMES) {
    const own = (stored[family] ?? []).filter((e) => !hasTag(e, tag));
    kept.set(family, own);
    const list = [...own, ...(posted[family] ?? [])];
    if (list.length > 0) merged[family] = list;
  }
  try {
    validateDeclarativeConfig(JSON.parse(JSON.stringify(merged)));
  } catch (err) {
    if (!(err instanceof DbError) || !Array.isArray(err.context.errors)) throw err;
    throw declarativeError(
      (err.context.errors as { path: string; message: string }[]).map((issue) =>
        relocate(issue, kept, posted, places, tag),
      ),
    );
  }
}

// One problem of the merged document, moved to the posted document or described as a kept entity's.
function relocate(
  issue: { path: string; message: string },
  kept: ReadonlyMap<EntityName, Entity[]>,
  posted: DeclarativeConfig,
  places: ReadonlyMap<string, DocPath>,
  tag: string,
): { path: DocPath; message: string } {
  const [family, index, ...rest] = parsePath(issue.path);
  const own = kept.get(family as EntityName);
  if (typeof index !== 'number' || own === undefined)
    return { path: [], message: `${issue.path}: ${issue.message}` };
  if (index < own.length) {
    const entity = own[index] as Entity;
    const where = rest.length > 0 ? ` ${rest.join('.')}` : '';
    return {
      path: [],
      message: `${String(family)} ${label(family as EntityName, entity)} (stored, not tagged '${tag}')${where}: ${issue.message}`,
    };
  }
  const entity = (posted[family as EntityName] ?? [])[index - own.length];
  const place = entity ? places.get(`${String(family)}/${entity.id}`) : undefined;
  const clash = issue.message.startsWith('uniqueness violation')
    ? ` (by a stored entity not tagged '${tag}')`
    : '';
  return {
    path: [...(place ?? [String(family), index - own.length]), ...rest],
    message: `${issue.message}${clash}`,
  };
}

const zero = (): FamilyCounts => ({ created: 0, updated: 0, deleted: 0, unchanged: 0 });

function summarise(posted: DeclarativeConfig, changes: readonly ChangedEntity[]): SelectedSummary {
  const families: Partial<Record<EntityName, FamilyCounts>> = {};
  const total = zero();
  const bump = (family: EntityName, key: keyof FamilyCounts, n = 1) => {
    (families[family] ??= zero())[key] += n;
    total[key] += n;
  };
  for (const c of changes)
    bump(c.family, c.op === 'create' ? 'created' : c.op === 'update' ? 'updated' : 'deleted');
  for (const family of ENTITY_NAMES) {
    const count = (posted[family] ?? []).length;
    if (count === 0) continue;
    const counts = families[family] ?? zero();
    bump(family, 'unchanged', count - counts.created - counts.updated);
  }
  return { families, total, entities: [...changes] };
}

// Timestamps are the store's business: a re-posted entity keeps them, so they never make a difference.
function content(entity: Entity): string {
  const { created_at: _c, updated_at: _u, ...rest } = entity;
  return canonicalJson(rest);
}

/**
 * What replacing the tagged part of `stored` (all of it when `tag` is null) with `posted` would change
 * (dry_run), without writing.
 */
export function previewSelectedReplace(
  posted: DeclarativeConfig,
  stored: StoreConfig,
  tag: string | null,
): SelectedSummary {
  const changes: ChangedEntity[] = [];
  const named = (op: ChangedEntity['op'], family: EntityName, e: Entity): ChangedEntity => ({
    op,
    family,
    id: e.id,
    ...nameOf(family, e),
  });
  for (const family of ENTITY_NAMES) {
    const before = new Map(
      (stored[family] ?? []).filter((e) => tag === null || hasTag(e, tag)).map((e) => [e.id, e]),
    );
    for (const entity of posted[family] ?? []) {
      const old = before.get(entity.id);
      before.delete(entity.id);
      if (!old) changes.push(named('create', family, entity));
      else if (content(old) !== content(entity)) changes.push(named('update', family, entity));
    }
    for (const gone of before.values()) changes.push(named('delete', family, gone));
  }
  return summarise(posted, changes);
}

/** The summary of what a committed selective replace changed (the store's own change list). */
export function summariseChanges(posted: DeclarativeConfig, changes: readonly Change[]): SelectedSummary {
  return summarise(
    posted,
    changes.map((c) => ({
      op: c.op,
      family: c.family,
      id: c.id,
      ...nameOf(c.family, (c.entity ?? c.previous) as Entity),
    })),
  );
}

function nameOf(family: EntityName, entity: Entity): { name?: string } {
  const key = ENTITY_DEFINITIONS[family].endpointKey;
  const value = key === undefined ? undefined : entity[key];
  return typeof value === 'string' ? { name: value } : {};
}

/** Only the entities carrying `tag`, in the store's flat form (GET /config?select_tags). */
export function selectTagged(config: StoreConfig, tag: string): StoreConfig {
  const out: StoreConfig = { _format_version: config._format_version };
  for (const family of ENTITY_NAMES) {
    const list = (config[family] ?? []).filter((e) => hasTag(e, tag));
    if (list.length > 0) out[family] = list;
  }
  return out;
}
