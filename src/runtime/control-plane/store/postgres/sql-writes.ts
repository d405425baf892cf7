import type pg from 'pg';
import type { Entity, EntityName } from '../../../config/entities/definition.js';
import type { Overlay } from '../overlay.js';
import type { Definitions } from '../write-txn.js';
import type { Mirror } from './mirror.js';

/**
 * Turns one transaction's overlay (LMDB's key layout, keys.ts) into row changes of the PostgreSQL
 * tables: `e/` keys → hg_entities, `u/` and `c/` keys → hg_unique_keys, `r/` keys → hg_refs. Only what
 * really differs from the committed copy is written, so re-posting an unchanged /config touches no row.
 * New keys are plain INSERTs (never upserts): should this control plane's copy ever be wrong, the
 * database's primary keys and deferred foreign keys refuse the commit instead of silently overwriting.
 */

/** One key whose committed value changes (`value` undefined = removed). */
export interface NetWrite {
  key: string;
  value: unknown;
  existed: boolean;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  return typeof a === 'object' && typeof b === 'object' && JSON.stringify(a) === JSON.stringify(b);
}

/** The writes of `overlay` that change something relative to `mirror` (a cleared overlay removes the rest). */
export function netWrites(overlay: Overlay, mirror: Mirror): NetWrite[] {
  const out: NetWrite[] = [];
  const seen = new Set<string>();
  for (const [key, value] of overlay.writes()) {
    seen.add(key);
    const before = mirror.get(key);
    if (value === undefined) {
      if (before !== undefined) out.push({ key, value: undefined, existed: true });
    } else if (before === undefined || !sameValue(before, value)) {
      out.push({ key, value, existed: before !== undefined });
    }
  }
  if (overlay.cleared) {
    for (const [key] of mirror.entries())
      if (!seen.has(key)) out.push({ key, value: undefined, existed: true });
  }
  return out;
}

/** Tags as the tags column holds them (PostgreSQL text cannot hold NUL, and such a tag matches nothing). */
function tagsOf(entity: Entity): string {
  const tags = Array.isArray(entity.tags) ? entity.tags : [];
  return JSON.stringify(tags.filter((t): t is string => typeof t === 'string' && !t.includes('\u0000')));
}

class Batches {
  readonly entityDel: string[][] = [[], []];
  readonly entityUpd: string[][] = [[], [], [], []];
  readonly entityIns: string[][] = [[], [], [], []];
  readonly uniqueDel: string[] = [];
  readonly uniqueUpd: string[][] = [[], [], []];
  readonly uniqueIns: string[][] = [[], [], []];
  readonly refDel: string[][] = [[], [], [], []];
  readonly refIns: string[][] = [[], [], [], [], []];
}

function push(columns: string[][], values: string[]): void {
  values.forEach((v, i) => columns[i]?.push(v));
}

function classify(writes: readonly NetWrite[], defs: Definitions): Batches {
  const b = new Batches();
  for (const w of writes) {
    const parts = w.key.split('/');
    const table = parts[0];
    const family = parts[1] as EntityName;
    if (table === 'e') {
      const id = parts.slice(2).join('/');
      if (w.value === undefined) push(b.entityDel, [family, id]);
      else {
        const entity = w.value as Entity;
        push(w.existed ? b.entityUpd : b.entityIns, [family, id, JSON.stringify(entity), tagsOf(entity)]);
      }
    } else if (table === 'u' || table === 'c') {
      if (w.value === undefined) b.uniqueDel.push(w.key);
      else push(w.existed ? b.uniqueUpd : b.uniqueIns, [w.key, family, String(w.value)]);
    } else if (table === 'r') {
      const [, , field = '', parent = '', id = ''] = parts;
      if (w.value === undefined) push(b.refDel, [family, field, parent, id]);
      else {
        const fk = defs[family]?.foreignKeys.find((f) => f.field === field);
        if (!fk) throw new TypeError(`no foreign key ${family}.${field} for reference ${w.key}`);
        push(b.refIns, [family, field, fk.references, parent, id]);
      }
    } else {
      throw new TypeError(`unexpected store key ${w.key}`);
    }
  }
  return b;
}

const TAGS = 'ARRAY(SELECT json_array_elements_text(d.tags::json))';

/** Writes `writes` in the caller's transaction (removals first, so a value may move between owners). */
export async function writeRows(
  q: pg.ClientBase,
  writes: readonly NetWrite[],
  defs: Definitions,
): Promise<void> {
  const b = classify(writes, defs);
  const run = async (rows: number, sql: string, params: unknown[]) => {
    if (rows > 0) await q.query(sql, params);
  };
  await run(b.uniqueDel.length, 'DELETE FROM hg_unique_keys WHERE key = ANY($1::text[])', [b.uniqueDel]);
  await run(
    b.refDel[0]?.length ?? 0,
    `DELETE FROM hg_refs r USING unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS d(family, field, parent_id, id)
     WHERE r.family = d.family AND r.field = d.field AND r.parent_id = d.parent_id AND r.id = d.id`,
    b.refDel,
  );
  await run(
    b.entityDel[0]?.length ?? 0,
    `DELETE FROM hg_entities e USING unnest($1::text[], $2::text[]) AS d(family, id)
     WHERE e.family = d.family AND e.id = d.id`,
    b.entityDel,
  );
  await run(
    b.entityUpd[0]?.length ?? 0,
    `UPDATE hg_entities e SET entity = d.entity::json, tags = ${TAGS}
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS d(family, id, entity, tags)
     WHERE e.family = d.family AND e.id = d.id`,
    b.entityUpd,
  );
  await run(
    b.entityIns[0]?.length ?? 0,
    `INSERT INTO hg_entities (family, id, entity, tags)
     SELECT d.family, d.id, d.entity::json, ${TAGS}
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS d(family, id, entity, tags)`,
    b.entityIns,
  );
  await run(
    b.uniqueUpd[0]?.length ?? 0,
    `UPDATE hg_unique_keys u SET family = d.family, id = d.id
     FROM unnest($1::text[], $2::text[], $3::text[]) AS d(key, family, id) WHERE u.key = d.key`,
    b.uniqueUpd,
  );
  await run(
    b.uniqueIns[0]?.length ?? 0,
    'INSERT INTO hg_unique_keys (key, family, id) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])',
    b.uniqueIns,
  );
  await run(
    b.refIns[0]?.length ?? 0,
    `INSERT INTO hg_refs (family, field, parent_family, parent_id, id)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])`,
    b.refIns,
  );
}
