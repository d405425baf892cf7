import type { z } from 'zod';

/**
 * Zod 4 per-parse error map giving Kong's wording (kong/db/schema/init.lua validation_errors) for the
 * generic failures; messages set on a field itself (fields.ts) take precedence over this map.
 */

const TYPE_WORDS: Record<string, string> = {
  int: 'expected an integer',
  number: 'expected a number',
  string: 'expected a string',
  boolean: 'expected a boolean',
  array: 'expected an array',
  object: 'expected a record',
  record: 'expected a map',
};

/** Kong's wording for one zod issue. */
export function kongMessage(iss: z.core.$ZodRawIssue): string {
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined || iss.input === null) return 'required field missing';
      return TYPE_WORDS[iss.expected] ?? `expected ${iss.expected}`;
    case 'invalid_value':
      return `expected one of: ${iss.values.map((v) => String(v)).join(', ')}`;
    case 'too_small':
      if (iss.origin === 'string' || iss.origin === 'array' || iss.origin === 'set') {
        return `length must be at least ${String(iss.minimum)}`;
      }
      return `value must be ${iss.inclusive === false ? 'greater than' : 'at least'} ${String(iss.minimum)}`;
    case 'too_big':
      if (iss.origin === 'string' || iss.origin === 'array' || iss.origin === 'set') {
        return `length must be at most ${String(iss.maximum)}`;
      }
      return `value must be ${iss.inclusive === false ? 'less than' : 'at most'} ${String(iss.maximum)}`;
    case 'invalid_format':
      return 'invalid value';
    case 'unrecognized_keys':
      return 'unknown field';
    case 'invalid_key':
      // The key's own schema already worded the problem (e.g. routes' `host` header rule).
      return iss.issues[0]?.message ?? 'invalid key';
    case 'invalid_union':
      return 'invalid value';
    default:
      return 'invalid value';
  }
}
