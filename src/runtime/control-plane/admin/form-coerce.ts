import type { EntityName } from '../../config/entities/definition.js';
import type { FieldKind } from '../../config/entities/field-kind.js';

/**
 * Form-encoded bodies carry only strings: `port=80`, `strip_path=false`, `paths=/a` (one value where an
 * array is expected), `config.minute=5`. Kong converts them to the schema's types before validating;
 * this does the same, asking the entity model for each field's kind so no schema knowledge is copied
 * here. Values that do not convert are left as they are, and validation then names the field.
 */

/** Looks up the kind of a dotted path of the entity being coerced. */
export type KindLookup = (path: string) => FieldKind;

const NUMBER_RE = /^\s*-?\d+(\.\d+)?([eE][+-]?\d+)?\s*$/;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// `hosts[7]=a` past qs's array limit arrives as `{ "7": "a" }`: turn index maps back into arrays.
function indexMapToArray(v: Record<string, unknown>): unknown[] | null {
  const keys = Object.keys(v);
  if (keys.length === 0 || !keys.every((k) => /^\d+$/.test(k))) return null;
  return keys.sort((a, b) => Number(a) - Number(b)).map((k) => v[k]);
}

function coerceValue(value: unknown, path: string, kindOf: KindLookup, depth: number): unknown {
  if (depth > 32) return value;
  const kind = kindOf(path);
  if (typeof value === 'string') {
    switch (kind) {
      case 'integer':
      case 'number':
        return NUMBER_RE.test(value) ? Number(value) : value === '' ? null : value;
      case 'boolean':
        return value === 'true' ? true : value === 'false' ? false : value === '' ? null : value;
      case 'array':
        return value === '' ? [] : [coerceValue(value, `${path}.0`, kindOf, depth + 1)];
      case 'object':
        return value === '' ? null : value;
      default:
        return value;
    }
  }
  if (Array.isArray(value)) {
    return value.map((v) => coerceValue(v, `${path}.0`, kindOf, depth + 1));
  }
  if (isPlainObject(value)) {
    if (kind === 'array') {
      const arr = indexMapToArray(value);
      if (arr) return arr.map((v) => coerceValue(v, `${path}.0`, kindOf, depth + 1));
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = coerceValue(v, `${path}.${k}`, kindOf, depth + 1);
    return out;
  }
  return value;
}

/** Coerces a parsed form body of `family` (plugins: `config.*` through the plugin named in the body). */
export function coerceFormBody(
  family: EntityName,
  body: Record<string, unknown>,
  fieldKind: (family: EntityName, path: string, pluginName?: string) => FieldKind,
  pluginName?: string,
): Record<string, unknown> {
  const name = pluginName ?? (typeof body.name === 'string' ? body.name : undefined);
  const kindOf: KindLookup = (path) => fieldKind(family, path, name);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) out[k] = coerceValue(v, k, kindOf, 0);
  return out;
}
