import type { z } from 'zod';

/**
 * Reading the shape of a zod 4 schema: what the PATCH merge and `fieldKind` need to know about a field
 * without each caller poking at zod internals.
 */

/** The kinds a field can have, as the Admin API's form-body coercion needs them. */
export type FieldKind = 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object' | 'unknown';

interface ZodInternals {
  _zod: { def: Record<string, unknown> & { type: string } };
}

function def(schema: z.ZodType): ZodInternals['_zod']['def'] {
  return (schema as unknown as ZodInternals)._zod.def;
}

/** Strips default/nullable/optional/pipe wrappers down to the schema that carries the field's type. */
export function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (let i = 0; i < 20; i++) {
    const d = def(s);
    if (d.type === 'default' || d.type === 'nullable' || d.type === 'optional' || d.type === 'prefault') {
      s = d.innerType as z.ZodType;
    } else if (d.type === 'pipe') {
      s = d.in as z.ZodType;
    } else break;
  }
  return s;
}

/** The schema of `key` inside `schema` (object member, map value, or array element for a numeric key). */
export function childSchema(schema: z.ZodType, key: string): z.ZodType | undefined {
  const s = unwrap(schema);
  const d = def(s);
  if (d.type === 'object') return (d.shape as Record<string, z.ZodType>)[key];
  if (d.type === 'record') return d.valueType as z.ZodType;
  if (d.type === 'array') return d.element as z.ZodType;
  return undefined;
}

/** Whether the field is a record with fixed members (merged field by field on PATCH), not a free map. */
export function isRecordSchema(schema: z.ZodType): boolean {
  return def(unwrap(schema)).type === 'object';
}

/** The kind of a field's values. */
export function kindOf(schema: z.ZodType): FieldKind {
  const s = unwrap(schema);
  const d = def(s);
  switch (d.type) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'number':
      return typeof d.format === 'string' && d.format.includes('int') ? 'integer' : 'number';
    case 'array':
      return 'array';
    case 'object':
    case 'record':
      return 'object';
    case 'enum': {
      const values = Object.values(d.entries as Record<string, unknown>);
      return valuesKind(values);
    }
    case 'literal':
      return valuesKind(d.values as unknown[]);
    default:
      return 'unknown';
  }
}

function valuesKind(values: unknown[]): FieldKind {
  if (values.length > 0 && values.every((v) => typeof v === 'string')) return 'string';
  if (values.length > 0 && values.every((v) => Number.isInteger(v))) return 'integer';
  if (values.length > 0 && values.every((v) => typeof v === 'number')) return 'number';
  return 'unknown';
}
