import type { z } from 'zod';
import { getPluginSchema } from '../../plugins/registry.js';
import type { EntityName } from './definition.js';
import { ENTITY_DEFINITIONS } from './index.js';
import { childSchema, kindOf, type FieldKind } from './schema-introspect.js';

export type { FieldKind } from './schema-introspect.js';

/**
 * The kind of value at `dottedPath` of a `family` entity (`port`, `config.minute`, `paths.1` for an
 * element), so the Admin API can coerce form-encoded strings without knowing the schemas. A path
 * under a plugin's `config` resolves through the plugin named by `opts.pluginName`.
 */
export function fieldKind(family: EntityName, dottedPath: string, opts: { pluginName?: string } = {}): FieldKind {
  const definition = ENTITY_DEFINITIONS[family];
  if (definition === undefined) return 'unknown';
  const segments = dottedPath.split('.').filter((s) => s.length > 0);
  if (segments.length === 0) return 'unknown';
  let schema: z.ZodType | undefined = definition.schema;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i] as string;
    if (family === 'plugins' && i === 0 && seg === 'config') {
      const plugin = opts.pluginName === undefined ? undefined : getPluginSchema(opts.pluginName);
      if (plugin === undefined) return segments.length === 1 ? 'object' : 'unknown';
      schema = plugin.config;
      continue;
    }
    // Form bodies write array elements as `paths[]`, `paths[1]` or `paths.1`.
    const key = seg.replace(/\[\d*\]$/, '');
    schema = childSchema(schema, key);
    if (schema === undefined) return 'unknown';
    if (key !== seg) {
      schema = childSchema(schema, '0');
      if (schema === undefined) return 'unknown';
    }
  }
  return kindOf(schema);
}
