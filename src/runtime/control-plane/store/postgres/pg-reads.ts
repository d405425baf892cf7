import type pg from 'pg';
import type { Entity, EntityName } from '../../../config/entities/definition.js';
import { decodeOffset, encodeOffset, uniqueKey } from '../keys.js';
import type { Change, ChangeEvent, ListOptions, Page, StoreConfig, StoreSnapshot } from '../store.js';
import { databaseError } from '../store-errors.js';

/**
 * The store's reads as SQL over the tables of schema.ts. Each takes the connection it runs on, so the
 * store decides the isolation (a REPEATABLE READ transaction where several statements must agree).
 */

/** The config version; `forUpdate` locks the version row, which is what serialises writers. */
export async function readVersion(q: pg.ClientBase, forUpdate: boolean): Promise<number> {
  const res = await q.query<{ version: string }>(
    `SELECT version FROM hg_state${forUpdate ? ' FOR UPDATE' : ''}`,
  );
  const row = res.rows[0];
  if (!row)
    throw databaseError(
      "the store's state row is missing (was the database reset? run 'hybridgate migrations bootstrap')",
      'hg_state is empty',
    );
  return Number(row.version);
}

/** One entity by id. */
export async function readEntity(q: pg.ClientBase, family: EntityName, id: string): Promise<Entity | null> {
  const res = await q.query<{ entity: Entity }>(
    'SELECT entity FROM hg_entities WHERE family = $1 AND id = $2',
    [family, id],
  );
  return res.rows[0]?.entity ?? null;
}

/** One entity by a unique field's value, through the same unique key the write rules maintain. */
export async function readEntityByKey(
  q: pg.ClientBase,
  family: EntityName,
  field: string,
  value: unknown,
): Promise<Entity | null> {
  const res = await q.query<{ entity: Entity }>(
    `SELECT e.entity FROM hg_unique_keys u JOIN hg_entities e ON e.family = u.family AND e.id = u.id
     WHERE u.key = $1 AND u.family = $2`,
    [uniqueKey(family, field, value), family],
  );
  return res.rows[0]?.entity ?? null;
}

/** One keyset page in id order (byte order, as LMDB), filtered by tags and by a parent. */
export async function readPage(q: pg.ClientBase, family: EntityName, opts: ListOptions): Promise<Page> {
  const scope = opts.foreign ? `${family}/${opts.foreign.field}/${opts.foreign.id}` : family;
  const after = opts.offset ? decodeOffset(scope, opts.offset) : null;
  const params: unknown[] = [family];
  const where: string[] = ['e.family = $1'];
  let from = 'hg_entities e';
  if (opts.foreign) {
    from = 'hg_refs r JOIN hg_entities e ON e.family = r.family AND e.id = r.id';
    params.push(opts.foreign.field, opts.foreign.id);
    where.push('r.family = $1', `r.field = $${params.length - 1}`, `r.parent_id = $${params.length}`);
  }
  if (after !== null) {
    params.push(after);
    where.push(`e.id > $${params.length}`);
  }
  const tags = opts.tags && opts.tags.length > 0 ? [...opts.tags] : null;
  if (tags) {
    params.push(tags);
    where.push(`e.tags ${(opts.tagsMode ?? 'and') === 'and' ? '@>' : '&&'} $${params.length}::text[]`);
  }
  params.push(opts.size + 1);
  const res = await q.query<{ entity: Entity }>(
    `SELECT e.entity FROM ${from} WHERE ${where.join(' AND ')} ORDER BY e.id LIMIT $${params.length}`,
    params,
  );
  const data = res.rows.slice(0, opts.size).map((r) => r.entity);
  const last = data[data.length - 1];
  return { data, offset: res.rows.length > opts.size && last ? encodeOffset(scope, last.id) : null };
}

/** Everything at one version (call inside a REPEATABLE READ transaction or under the version lock). */
export async function readSnapshot(
  q: pg.ClientBase,
  families: readonly EntityName[],
): Promise<StoreSnapshot> {
  const version = await readVersion(q, false);
  const res = await q.query<{ family: string; entity: Entity }>(
    'SELECT family, entity FROM hg_entities WHERE family = ANY($1::text[]) ORDER BY family, id',
    [families],
  );
  const byFamily = new Map<string, Entity[]>();
  for (const row of res.rows) {
    let list = byFamily.get(row.family);
    if (!list) byFamily.set(row.family, (list = []));
    list.push(row.entity);
  }
  // The declarative loader's canonical flat form: families in order, non-empty only, ids sorted.
  const config: StoreConfig = { _format_version: '3.0', _transform: false };
  for (const family of families) {
    const list = byFamily.get(family);
    if (list && list.length > 0) config[family] = list;
  }
  return { version, config };
}

/** The change events after `version` (null when the log does not reach back, as LMDB). */
export async function readChangesSince(q: pg.ClientBase, version: number): Promise<ChangeEvent[] | null> {
  const current = await readVersion(q, false);
  if (!Number.isInteger(version) || version < 0 || version > current) return null;
  if (version === current) return [];
  const res = await q.query<{ version: string; changes: Change[] }>(
    'SELECT version, changes FROM hg_changes WHERE version > $1 AND version <= $2 ORDER BY version',
    [version, current],
  );
  if (Number(res.rows[0]?.version) !== version + 1) return null;
  return res.rows.map((r) => ({ version: Number(r.version), changes: r.changes }));
}
