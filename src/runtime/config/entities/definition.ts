import type { z } from 'zod';

/**
 * The entity families of the gateway's configuration, in the order a declarative file or an export
 * lists them: referenced families before the families that reference them (topological order).
 */
export const ENTITY_NAMES = [
  'certificates',
  'ca_certificates',
  'snis',
  'services',
  'routes',
  'upstreams',
  'targets',
  'consumers',
  'keyauth_credentials',
  'basicauth_credentials',
  'acls',
  'plugins',
] as const;

export type EntityName = (typeof ENTITY_NAMES)[number];

/** A stored entity: always has an id; foreign keys are `{ id }` objects, as Kong's Admin API shows them. */
export type Entity = { id: string } & Record<string, unknown>;

/** A reference from one entity to another (`route.service → services`). */
export interface ForeignKey {
  /** The field on the referencing entity, e.g. `service`. */
  field: string;
  /** The referenced family. */
  references: EntityName;
  /** Deleting the referenced entity: `cascade` deletes this one too, `restrict` refuses (Kong code 19). */
  onDelete: 'cascade' | 'restrict';
}

/**
 * One definition per entity family: the single source of truth used by the Admin API, the store
 * (constraints), the declarative loader and the data plane's validation of pushed configuration.
 */
export interface EntityDefinition {
  name: EntityName;
  /**
   * Zod schema of a complete entity as stored: validates types and constraints and fills Kong's defaults.
   * Input with unknown fields is refused (schema violation "unknown field").
   */
  schema: z.ZodType<Entity>;
  /** Fields that are unique across the family, e.g. `name` for services; `null` values don't collide. */
  uniqueFields: readonly string[];
  /** The unique field that can stand for the id in a URL (`/services/{name}`), if any. */
  endpointKey?: string;
  /** Fields whose combination is unique, e.g. targets: `upstream` + `target`. */
  compositeUnique?: readonly string[];
  foreignKeys: readonly ForeignKey[];
  /** Fields holding secrets: redacted in logs and in `--dump-config`, never in the entity itself. */
  secretFields?: readonly string[];
  /** Whether the entity has `tags` (almost all do). */
  tags: boolean;
  /**
   * Rewrites the input before the schema sees it: shorthands (`url` on services), derived or generated
   * fields (credential keys, password hashes, digests). Problems go to `ctx.addIssue`, never thrown.
   */
  prepare?: (input: Record<string, unknown>, ctx: ValidationContext) => Record<string, unknown>;
  /** Checks and fills that need more than the schema (a plugin's own config schema); runs after it. */
  finalize?: (entity: Entity, ctx: ValidationContext) => Entity;
}

/** What validation hooks know about the call: update or insert, transform mode, the enabled plugins. */
export interface ValidationContext {
  /** The stored entity when this is an update (PATCH/PUT over an existing row). */
  existing?: Entity;
  /** Kong's `_transform`: hash secrets and derive fields. False when reloading already-stored form. */
  transform: boolean;
  /** Plugin names allowed in `plugins.name`; undefined means every bundled plugin. */
  enabledPlugins?: readonly string[];
  /** Records a field error at `path` (empty path: an entity-level error). */
  addIssue(path: readonly (string | number)[], message: string): void;
}
