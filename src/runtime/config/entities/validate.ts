import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { DbError } from '../../errors.js';
import type { Entity, EntityName, ValidationContext } from './definition.js';
import { buildFieldErrors, schemaViolationMessage, type FieldIssue } from './field-errors.js';
import { ENTITY_DEFINITIONS } from './index.js';
import { childSchema, isRecordSchema } from './schema-introspect.js';
import { kongMessage } from './zod-messages.js';
import { getPluginSchema } from '../../plugins/registry.js';

/** Options of `validateEntity`. */
export interface ValidateOptions {
  /** The stored entity: the input is merged over it (Kong PATCH semantics) before validation. */
  existing?: Entity;
  /** Kong's `_transform` (default true): hash passwords, generate keys. False for already-stored form. */
  transform?: boolean;
  /** Plugin names allowed in `plugins.name` (conf `plugins`); every bundled plugin when absent. */
  enabledPlugins?: readonly string[];
  /** Unix seconds for created_at/updated_at; `false` leaves timestamps as given (declarative loads). */
  now?: number | false;
  /** Id for a new entity without one; random UUID when absent. */
  generateId?: () => string;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Kong's PATCH merge: records (fixed-member objects such as a plugin's `config` or upstream
 * `healthchecks`) merge field by field, everything else (arrays, maps, scalars, null) is replaced.
 */
export function mergePatch(existing: unknown, patch: unknown, schema: z.ZodType | undefined): unknown {
  if (!isPlainObject(existing) || !isPlainObject(patch)) return patch;
  if (schema !== undefined && !isRecordSchema(schema)) return patch;
  const out: Record<string, unknown> = { ...existing };
  for (const [k, v] of Object.entries(patch)) {
    // `out.__proto__ = v` would replace the prototype instead of adding a field (JSON.parse makes
    // such own keys); they are never entity fields, so the schema reports them as unknown.
    if (v === undefined || k === '__proto__') continue;
    const child = schema === undefined ? undefined : childSchema(schema, k);
    out[k] = mergePatch(existing[k], v, child);
  }
  return out;
}

// A plugin's config is a free map in the plugins schema; it merges through that plugin's own schema.
function mergeOverExisting(family: EntityName, existing: Entity, input: Record<string, unknown>): Record<string, unknown> {
  const merged = mergePatch(existing, input, ENTITY_DEFINITIONS[family].schema) as Record<string, unknown>;
  if (family === 'plugins' && isPlainObject(input.config)) {
    const plugin = typeof merged.name === 'string' ? getPluginSchema(merged.name) : undefined;
    merged.config = mergePatch(existing.config, input.config, plugin?.config);
  }
  return merged;
}

/**
 * Validates one entity of `family`: fills Kong's defaults (insert) or merges over `existing` (update),
 * then checks the whole entity. Throws DbError('SCHEMA_VIOLATION') with Kong's nested `fields`.
 */
export function validateEntity(family: EntityName, input: unknown, opts: ValidateOptions = {}): Entity {
  const definition = ENTITY_DEFINITIONS[family];
  if (definition === undefined) {
    throw new DbError('SCHEMA_VIOLATION', `schema violation (unknown entity: ${String(family)})`, {
      '@entity': [`unknown entity: ${String(family)}`],
    });
  }
  if (!isPlainObject(input)) {
    const fields = { '@entity': ['expected a record'] };
    throw new DbError('SCHEMA_VIOLATION', 'schema violation (expected a record)', fields);
  }
  const issues: FieldIssue[] = [];
  const ctx: ValidationContext = {
    transform: opts.transform ?? true,
    addIssue: (path, message) => issues.push({ path, message }),
    ...(opts.existing !== undefined ? { existing: opts.existing } : {}),
    ...(opts.enabledPlugins !== undefined ? { enabledPlugins: opts.enabledPlugins } : {}),
  };
  const prepared = definition.prepare ? definition.prepare(input, ctx) : input;
  let candidate: Record<string, unknown>;
  if (opts.existing !== undefined) {
    candidate = mergeOverExisting(family, opts.existing, prepared);
    candidate.id = opts.existing.id;
  } else {
    candidate = { ...prepared };
    if (candidate.id === undefined || candidate.id === null) candidate.id = (opts.generateId ?? randomUUID)();
  }
  const now = opts.now === undefined ? Math.floor(Date.now() / 1000) : opts.now;
  if (now !== false) {
    if (opts.existing !== undefined) {
      if (opts.existing.created_at !== undefined) candidate.created_at = opts.existing.created_at;
      candidate.updated_at = now;
    } else {
      candidate.created_at ??= now;
      candidate.updated_at ??= now;
    }
  }
  if (issues.length > 0) throw violation(issues);
  const result = definition.schema.safeParse(candidate, { error: kongMessage });
  if (!result.success) {
    throw violation(zodIssues(result.error.issues));
  }
  const entity = definition.finalize ? definition.finalize(result.data, ctx) : result.data;
  if (issues.length > 0) throw violation(issues);
  return entity;
}

/** Converts zod issues (unknown keys reported per key) into field issues. */
export function zodIssues(zissues: readonly z.core.$ZodIssue[], prefix: readonly (string | number)[] = []): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const iss of zissues) {
    const path = [...prefix, ...(iss.path as (string | number)[])];
    if (iss.code === 'unrecognized_keys') {
      for (const key of iss.keys) out.push({ path: [...path, key], message: 'unknown field' });
    } else {
      out.push({ path, message: iss.message });
    }
  }
  return out;
}

/** The DbError for a list of issues. */
export function violation(issues: readonly FieldIssue[]): DbError {
  // `issues` (flat, with paths) lets the declarative loader re-root errors under a document path.
  return new DbError('SCHEMA_VIOLATION', schemaViolationMessage(issues), buildFieldErrors(issues), { issues });
}
