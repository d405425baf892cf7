import { z } from 'zod';
import { BUNDLED_PLUGIN_NAMES, getPluginSchema } from '../../plugins/registry.js';
import type { Entity, EntityDefinition, ValidationContext } from './definition.js';
import { baseFields, foreignKey, nullable, tags, utf8Name } from './fields.js';
import { PLUGIN_PROTOCOLS } from '../../plugins/types.js';
import { kongMessage } from './zod-messages.js';

const schema = z.strictObject({
  ...baseFields(),
  name: z.string().min(1, { error: 'length must be at least 1' }),
  instance_name: nullable(utf8Name()),
  // A free map here: its real schema depends on `name` and is applied in finalize().
  config: nullable(z.record(z.string(), z.unknown())),
  protocols: nullable(z.array(z.enum(PLUGIN_PROTOCOLS))),
  enabled: z.boolean().default(true),
  route: nullable(foreignKey()),
  service: nullable(foreignKey()),
  consumer: nullable(foreignKey()),
  tags: tags(),
});

function finalizePlugin(entity: Entity, ctx: ValidationContext): Entity {
  const name = entity.name as string;
  const enabled = ctx.enabledPlugins ?? BUNDLED_PLUGIN_NAMES;
  const plugin = getPluginSchema(name);
  if (plugin === undefined || !enabled.includes(name)) {
    ctx.addIssue(['name'], `plugin '${name}' not enabled; add it to the 'plugins' configuration property`);
    return entity;
  }
  for (const scope of ['consumer', 'route', 'service'] as const) {
    const forbidden = scope === 'consumer' ? plugin.noConsumer : scope === 'route' ? plugin.noRoute : plugin.noService;
    if (forbidden && entity[scope] !== null) ctx.addIssue([scope], 'value must be null');
  }
  let protocols = entity.protocols as string[] | null;
  if (protocols === null) {
    protocols = [...plugin.defaultProtocols];
  } else {
    protocols.forEach((p, i) => {
      if (!(plugin.protocols as readonly string[]).includes(p)) {
        ctx.addIssue(['protocols', i], `expected one of: ${plugin.protocols.join(', ')}`);
      }
    });
  }
  const parsed = plugin.config.safeParse(entity.config ?? {}, { error: kongMessage });
  if (!parsed.success) {
    for (const iss of parsed.error.issues) {
      const path = iss.path as (string | number)[];
      // Record-level checks of a plugin (acl allow/deny) are entity checks in Kong's error body.
      if (iss.code === 'unrecognized_keys') {
        for (const key of iss.keys) ctx.addIssue(['config', ...path, key], 'unknown field');
      } else if (path.length === 0 && iss.code === 'custom') {
        ctx.addIssue([], iss.message);
      } else {
        ctx.addIssue(['config', ...path], iss.message);
      }
    }
    return entity;
  }
  return { ...entity, protocols, config: parsed.data };
}

/** Kong's `plugins`: a plugin instance with its config, optionally scoped to a route, service or consumer. */
export const pluginsDefinition: EntityDefinition = {
  name: 'plugins',
  schema: schema as unknown as EntityDefinition['schema'],
  uniqueFields: ['instance_name'],
  endpointKey: 'instance_name',
  compositeUnique: ['name', 'route', 'service', 'consumer'],
  foreignKeys: [
    { field: 'route', references: 'routes', onDelete: 'cascade' },
    { field: 'service', references: 'services', onDelete: 'cascade' },
    { field: 'consumer', references: 'consumers', onDelete: 'cascade' },
  ],
  tags: true,
  finalize: finalizePlugin,
};
