import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ENTITY_NAMES, type EntityName } from '../../config/entities/definition.js';
import { notFoundError } from './admin-errors.js';
import { isFormRequest } from './body-parsers.js';
import { jsonSchemaOf, type EntityModel } from './entity-model.js';
import { coerceFormBody } from './form-coerce.js';

/**
 * Schema endpoints: `GET /schemas/{family}` and `GET /schemas/plugins/{name}` (JSON Schema generated
 * from the zod schemas, so it can never drift from validation), the older `GET /plugins/schema/{name}`,
 * `GET /plugins/enabled`, and `POST /schemas/{family}/validate` to check a body without storing it.
 */
export function registerSchemaRoutes(app: FastifyInstance, deps: { model: EntityModel }): void {
  const { model } = deps;
  // Generated once per family: the schemas are fixed for the life of the process.
  const cache = new Map<string, Record<string, unknown>>();
  const cached = (key: string, make: () => Record<string, unknown>) => {
    let v = cache.get(key);
    if (!v) {
      v = make();
      cache.set(key, v);
    }
    return v;
  };

  const familyOf = (name: string | undefined): EntityName => {
    if (!name || !(ENTITY_NAMES as readonly string[]).includes(name)) throw notFoundError({ schema: name });
    return name as EntityName;
  };

  const pluginSchema = (req: FastifyRequest, reply: FastifyReply) => {
    const name = (req.params as { name?: string }).name ?? '';
    const plugin = model.plugin(name);
    if (!plugin) return reply.code(404).send({ message: `No plugin named '${name}'` });
    return reply.send(cached(`plugin:${name}`, () => jsonSchemaOf(plugin.config)));
  };

  app.get('/schemas/:family', async (req, reply) => {
    const family = familyOf((req.params as { family?: string }).family);
    return reply.send(cached(family, () => jsonSchemaOf(model.definitions[family].schema)));
  });

  app.post('/schemas/:family/validate', async (req, reply) => {
    const family = familyOf((req.params as { family?: string }).family);
    const raw = req.body ?? {};
    const body =
      isFormRequest(req) && typeof raw === 'object' && raw !== null && !Array.isArray(raw)
        ? coerceFormBody(family, raw as Record<string, unknown>, model.fieldKind)
        : raw;
    model.validate(family, body);
    return reply.send({ message: 'schema validation successful' });
  });

  app.get('/schemas/plugins/:name', pluginSchema);
  app.get('/plugins/schema/:name', pluginSchema);
  app.get('/plugins/enabled', async (_req, reply) =>
    reply.send({ enabled_plugins: [...model.enabledPlugins].sort() }),
  );
}
