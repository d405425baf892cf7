import { createHash } from 'node:crypto';
import type { Entity, EntityDefinition, EntityName } from '../../config/entities/definition.js';
import { invalidOffset } from './store-errors.js';

/**
 * The LMDB key layout. Keys are plain strings with a one-letter table prefix so that one ordered
 * keyspace holds every table and a table (or an index slice) is one contiguous range:
 *   e/<family>/<id>                         → entity
 *   u/<family>/<field>/<value>              → id        (unique field)
 *   c/<family>/<values>                     → id        (composite unique)
 *   r/<family>/<field>/<parent id>/<id>     → true      (foreign key index: children of a parent)
 * Ids are UUIDs, so `/` never appears inside them; unique values are JSON and may contain anything,
 * which is fine because they are only ever looked up exactly, never scanned.
 */

// LMDB refuses keys above ~1978 bytes; long unique values are hashed (collisions are not a practical concern).
const MAX_VALUE_KEY = 512;

function valuePart(value: unknown): string {
  const json = JSON.stringify(value ?? null);
  return json.length <= MAX_VALUE_KEY ? json : `#sha256:${createHash('sha256').update(json).digest('hex')}`;
}

/** Key of an entity row. */
export function entityKey(family: EntityName, id: string): string {
  return `e/${family}/${id}`;
}

/** The range of all rows of a family. */
export function entityRange(family: EntityName): { start: string; end: string } {
  return { start: `e/${family}/`, end: `e/${family}0` };
}

/** The id part of an entity key. */
export function idOfEntityKey(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

/** Key of a unique field's value. */
export function uniqueKey(family: EntityName, field: string, value: unknown): string {
  return `u/${family}/${field}/${valuePart(value)}`;
}

/** A foreign key's value as stored (`{ id }`) reduced to the id, or null. */
export function refId(value: unknown): string | null {
  if (value && typeof value === 'object' && typeof (value as { id?: unknown }).id === 'string') {
    return (value as { id: string }).id;
  }
  return null;
}

/** The values of a composite unique, foreign keys reduced to ids and absent values to null. */
export function compositeValues(def: EntityDefinition, entity: Entity): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fkFields = new Set(def.foreignKeys.map((fk) => fk.field));
  for (const field of def.compositeUnique ?? []) {
    const v = entity[field];
    out[field] = fkFields.has(field) ? (refId(v) === null ? null : { id: refId(v) }) : (v ?? null);
  }
  return out;
}

/** Key of a composite unique's combination. */
export function compositeKey(family: EntityName, values: Record<string, unknown>): string {
  const ordered = Object.keys(values)
    .sort()
    .map((k) => [k, values[k]]);
  return `c/${family}/${valuePart(ordered)}`;
}

/** Key of one foreign key index entry. */
export function refKey(family: EntityName, field: string, parentId: string, id: string): string {
  return `r/${family}/${field}/${parentId}/${id}`;
}

/** The range of the children of one parent through one foreign key field. */
export function refRange(
  family: EntityName,
  field: string,
  parentId: string,
): { start: string; end: string } {
  return { start: `r/${family}/${field}/${parentId}/`, end: `r/${family}/${field}/${parentId}0` };
}

/** Prefixes of every table that holds configuration (replaceAll clears them). */
export const CONFIG_PREFIXES = ['e/', 'u/', 'c/', 'r/'] as const;

const OFFSET_VERSION = 1;

/**
 * Encodes a page's resume point. Offsets are opaque to clients (as Kong's): base64url of a small JSON
 * document naming the listing it belongs to, so an offset from another listing is refused.
 */
export function encodeOffset(scope: string, lastId: string): string {
  return Buffer.from(JSON.stringify([OFFSET_VERSION, scope, lastId]), 'utf8').toString('base64url');
}

/** Decodes an offset produced by encodeOffset for the same scope; anything else is INVALID_OFFSET. */
export function decodeOffset(scope: string, offset: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(offset) || offset.length > 1024)
    throw invalidOffset(offset, 'bad base64 encoding');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(offset, 'base64url').toString('utf8'));
  } catch {
    throw invalidOffset(offset, 'bad json encoding');
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 3 ||
    parsed[0] !== OFFSET_VERSION ||
    typeof parsed[2] !== 'string' ||
    !/^[0-9a-f-]{1,64}$/i.test(parsed[2])
  ) {
    throw invalidOffset(offset, 'not an offset of this store');
  }
  if (parsed[1] !== scope) throw invalidOffset(offset, 'it belongs to another listing');
  return parsed[2];
}
