import { ENTITY_NAMES, type EntityName } from '../entities/definition.js';
import { ENTITY_DEFINITIONS } from '../entities/index.js';
import { stableStringify, uuidV5 } from './ids.js';
import { NESTING } from './nesting.js';

/** A document path: keys and array indexes from the top of the file. */
export type DocPath = readonly (string | number)[];

/** One entity found in the document, nested children already lifted out. */
export interface FlatItem {
  family: EntityName;
  /** The entity's own fields as written (without nested children); FK fields may still be names. */
  raw: Record<string, unknown>;
  path: DocPath;
  id: string;
  /** Set when the entity was nested: the FK field that points at its parent, and the parent's id. */
  implicit?: { field: string; id: string };
}

/** What flattening found: the entities, and structural problems (non-arrays, non-objects). */
export interface FlattenResult {
  items: FlatItem[];
  issues: { path: DocPath; message: string }[];
}

// Kong 3.0 migration: a 1.1/2.1 path is a regex when it holds anything but these characters.
const PLAIN_PATH = /^[A-Za-z0-9.\-_~/%]*$/;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function idFor(family: EntityName, raw: Record<string, unknown>, parentId: string | undefined): string {
  if (typeof raw.id === 'string') return raw.id;
  const key = ENTITY_DEFINITIONS[family].endpointKey;
  const keyValue = key === undefined ? undefined : raw[key];
  // Entities with a unique name are identified by it; others by their parent and their content.
  const name =
    typeof keyValue === 'string'
      ? `${family}:key:${keyValue}`
      : `${family}:parent:${parentId ?? ''}:content:${stableStringify(raw)}`;
  return uuidV5(name);
}

/**
 * Walks the document's families (top level and nested), lifting nested children out with their
 * implicit parent reference, migrating pre-3.0 regex paths, and giving every entity its id.
 */
export function flattenDocument(doc: Record<string, unknown>, migratePaths: boolean): FlattenResult {
  const result: FlattenResult = { items: [], issues: [] };
  for (const family of ENTITY_NAMES) {
    if (doc[family] === undefined || doc[family] === null) continue;
    walkList(family, doc[family], [family], undefined, migratePaths, result);
  }
  return result;
}

function walkList(
  family: EntityName,
  list: unknown,
  path: DocPath,
  parent: { field: string; id: string } | undefined,
  migratePaths: boolean,
  out: FlattenResult,
): void {
  if (!Array.isArray(list)) {
    out.issues.push({ path, message: 'expected an array' });
    return;
  }
  list.forEach((entry, index) => {
    const here = [...path, index];
    if (!isPlainObject(entry)) {
      out.issues.push({ path: here, message: 'expected a record' });
      return;
    }
    const raw: Record<string, unknown> = { ...entry };
    const children: { family: EntityName; field: string; list: unknown }[] = [];
    for (const nested of NESTING[family] ?? []) {
      if (!(nested.family in raw)) continue;
      children.push({ family: nested.family, field: nested.foreignKey, list: raw[nested.family] });
      delete raw[nested.family];
    }
    if (family === 'routes' && migratePaths && Array.isArray(raw.paths)) {
      raw.paths = raw.paths.map((p) => (typeof p === 'string' && !PLAIN_PATH.test(p) ? `~${p}` : p));
    }
    const id = idFor(family, raw, parent?.id);
    const item: FlatItem = { family, raw, path: here, id, ...(parent ? { implicit: parent } : {}) };
    out.items.push(item);
    for (const child of children) {
      if (child.list === null || child.list === undefined) continue;
      walkList(child.family, child.list, [...here, child.family], { field: child.field, id }, migratePaths, out);
    }
  });
}
