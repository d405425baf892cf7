import type { EntityName } from '../entities/definition.js';
import { ENTITY_DEFINITIONS } from '../entities/index.js';
import type { DocPath, FlatItem } from './flatten.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids and endpoint keys of every entity in the document, per family, for resolving references. */
export class ReferenceIndex {
  private readonly ids = new Map<EntityName, Set<string>>();
  private readonly keys = new Map<EntityName, Map<string, string>>();

  constructor(items: readonly FlatItem[]) {
    for (const item of items) {
      let ids = this.ids.get(item.family);
      if (!ids) this.ids.set(item.family, (ids = new Set()));
      ids.add(item.id);
      const key = ENTITY_DEFINITIONS[item.family].endpointKey;
      const value = key === undefined ? undefined : item.raw[key];
      if (typeof value === 'string') {
        let map = this.keys.get(item.family);
        if (!map) this.keys.set(item.family, (map = new Map()));
        if (!map.has(value)) map.set(value, item.id);
      }
    }
  }

  /** The id a reference (`my-svc`, an id string, `{ id }`, `{ name }`) points at, or undefined. */
  resolve(family: EntityName, ref: unknown): string | undefined {
    if (typeof ref === 'string') {
      if (UUID_RE.test(ref) && this.ids.get(family)?.has(ref)) return ref;
      return this.keys.get(family)?.get(ref);
    }
    if (typeof ref === 'object' && ref !== null && !Array.isArray(ref)) {
      const r = ref as Record<string, unknown>;
      if (typeof r.id === 'string') return this.ids.get(family)?.has(r.id) ? r.id : undefined;
      const key = ENTITY_DEFINITIONS[family].endpointKey;
      const byKey = key === undefined ? undefined : r[key];
      if (typeof byKey === 'string') return this.keys.get(family)?.get(byKey);
    }
    return undefined;
  }
}

/** A reference problem at a document path. */
export interface ReferenceIssue {
  path: DocPath;
  message: string;
}

function describe(ref: unknown): string {
  if (typeof ref === 'string') return ref;
  try {
    return JSON.stringify(ref);
  } catch {
    return String(ref);
  }
}

/**
 * Replaces every foreign-key field of `item.raw` by `{ id }` (implicit parent first), recording
 * references to entities the document does not contain.
 */
export function resolveReferences(item: FlatItem, index: ReferenceIndex, issues: ReferenceIssue[]): void {
  const definition = ENTITY_DEFINITIONS[item.family];
  for (const fk of definition.foreignKeys) {
    if (item.implicit?.field === fk.field) {
      if (item.raw[fk.field] !== undefined && index.resolve(fk.references, item.raw[fk.field]) !== item.implicit.id) {
        issues.push({ path: [...item.path, fk.field], message: `conflicts with the enclosing '${fk.references}' entity` });
      }
      item.raw[fk.field] = { id: item.implicit.id };
      continue;
    }
    const ref = item.raw[fk.field];
    if (ref === undefined || ref === null) continue;
    const id = index.resolve(fk.references, ref);
    if (id === undefined) {
      issues.push({
        path: [...item.path, fk.field],
        message: `invalid reference '${fk.field}: ${describe(ref)}' (no such entry in '${fk.references}')`,
      });
      continue;
    }
    item.raw[fk.field] = { id };
  }
}
