import { z } from 'zod';
import type { Entity, EntityDefinition, EntityName } from '../../config/entities/definition.js';
import { fieldKind, type FieldKind } from '../../config/entities/field-kind.js';
import { ENTITY_DEFINITIONS } from '../../config/entities/index.js';
import { validateEntity } from '../../config/entities/validate.js';
import { getPluginSchema } from '../../plugins/registry.js';
import type { PluginSchema } from '../../plugins/types.js';

/**
 * What the Admin API needs to know about entities, in one seam: the definitions, validation, field
 * kinds for form coercion and JSON Schemas. The Admin API only talks to this interface, so its tests
 * and a future plugin loader can swap what is behind it.
 */
export interface EntityModel {
  definitions: Readonly<Record<EntityName, EntityDefinition>>;
  /** Validates an insert (`existing` absent) or a PATCH merged over `existing`. Throws DbError. */
  validate(family: EntityName, input: unknown, existing?: Entity): Entity;
  /** The kind of the value at a dotted path (`config.minute` through `pluginName`). */
  fieldKind(family: EntityName, path: string, pluginName?: string): FieldKind;
  /** The plugin schema by name, if this build has it. */
  plugin(name: string): PluginSchema | undefined;
  /** Names of the plugins enabled by conf (`plugins`). */
  enabledPlugins: readonly string[];
}

/** The model backed by the runtime's entity definitions and plugin schemas. */
export function kongEntityModel(enabledPlugins: readonly string[]): EntityModel {
  return {
    definitions: ENTITY_DEFINITIONS,
    validate: (family, input, existing) =>
      validateEntity(family, input, { enabledPlugins, ...(existing ? { existing } : {}) }),
    fieldKind: (family, path, pluginName) => fieldKind(family, path, pluginName ? { pluginName } : {}),
    plugin: (name) => (enabledPlugins.includes(name) ? getPluginSchema(name) : undefined),
    enabledPlugins,
  };
}

/**
 * A JSON Schema of a zod schema, for `/schemas/{family}` and `/schemas/plugins/{name}`. Transforms
 * and refinements have no JSON Schema form: they are left out (`unrepresentable: 'any'`) rather than
 * failing, since the schema is documentation and validation stays server-side.
 */
export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' }) as Record<string, unknown>;
}
