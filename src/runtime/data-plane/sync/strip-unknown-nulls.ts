import { ENTITY_NAMES, type EntityDefinition } from '../../config/entities/definition.js';

/** The fields the DP's schema knows for an entity family, or null when it knows none of them. */
export type KnownFields = (family: string) => ReadonlySet<string> | null;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const FAMILIES = new Set<string>(ENTITY_NAMES);

/**
 * Seed 002: a field the CP sends as null that the DP's schema does not know is ignored, so an older DP
 * can run a config from a newer CP whose new fields are unset. Any other unknown field is left for
 * validation to reject. Walks nested families too (routes under services, ...). Returns a copy.
 */
export function stripUnknownNulls(config: Obj, known: KnownFields): Obj {
  const out: Obj = {};
  for (const [key, value] of Object.entries(config)) {
    out[key] =
      FAMILIES.has(key) && Array.isArray(value) ? value.map((e) => stripEntity(key, e, known)) : value;
  }
  return out;
}

function stripEntity(family: string, entity: unknown, known: KnownFields): unknown {
  if (!isObj(entity)) return entity;
  const fields = known(family);
  const out: Obj = {};
  for (const [key, value] of Object.entries(entity)) {
    if (value === null && fields && !fields.has(key) && !FAMILIES.has(key)) continue;
    out[key] =
      FAMILIES.has(key) && Array.isArray(value) ? value.map((e) => stripEntity(key, e, known)) : value;
  }
  return out;
}

/** Field names of a zod object schema, looking through wrappers (pipe, effects, optional). */
function shapeKeys(schema: unknown, depth = 0): string[] | null {
  if (!schema || typeof schema !== 'object' || depth > 5) return null;
  const s = schema as { shape?: Obj; _zod?: { def?: Obj } };
  if (isObj(s.shape)) return Object.keys(s.shape);
  const def = s._zod?.def;
  if (!def) return null;
  return (
    shapeKeys(def.in, depth + 1) ?? shapeKeys(def.innerType, depth + 1) ?? shapeKeys(def.schema, depth + 1)
  );
}

/** KnownFields from the entity definitions (the same schemas the Admin API validates with). */
export function knownFieldsFromDefinitions(defs: readonly EntityDefinition[]): KnownFields {
  const map = new Map<string, ReadonlySet<string>>();
  for (const d of defs) {
    const keys = shapeKeys(d.schema);
    if (keys) map.set(d.name, new Set(keys));
  }
  return (family) => map.get(family) ?? null;
}
