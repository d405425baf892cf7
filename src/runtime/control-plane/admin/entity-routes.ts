import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Entity, EntityName, ForeignKey } from '../../config/entities/definition.js';
import { refId } from '../store/keys.js';
import type { Store, WriteTxn } from '../store/store.js';
import { AdminHttpError, invalidPrimaryKey, notFoundError } from './admin-errors.js';
import { isFormRequest } from './body-parsers.js';
import type { EntityModel } from './entity-model.js';
import { resolveForeignRefs } from './foreign-refs.js';
import { coerceFormBody } from './form-coerce.js';
import { endpointKeyOf, isUuid, resolveEntity, type Scope } from './lookup.js';
import { nextLink, parseListQuery } from './pagination.js';
import { COLLECTIONS, NESTED, collectionPath, type NestedResource } from './resources.js';

/**
 * The entity endpoints of the Admin API, generated from resources.ts and the entity definitions (Kong's
 * kong/api/endpoints.lua): for each collection `GET`/`POST /{c}` and `GET`/`PUT`/`PATCH`/`DELETE
 * /{c}/{id or endpoint key}`, the same under each parent (`/services/{s}/routes`), and the entity a
 * foreign key points at (`/routes/{r}/service`). Every write is one store transaction.
 */

/** What the entity routes need. */
export interface EntityRoutesDeps {
  store: Store;
  model: EntityModel;
}

type Params = Record<string, string>;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The request body, form values coerced to the schema's types (plugins: through `pluginName`). */
function readBody(req: FastifyRequest, model: EntityModel, family: EntityName, pluginName?: string): unknown {
  const body = req.body ?? {};
  if (isFormRequest(req) && isPlainObject(body))
    return coerceFormBody(family, body, model.fieldKind, pluginName);
  return body;
}

function pluginNameOf(body: unknown, existing?: Entity | null): string | undefined {
  if (isPlainObject(body) && typeof body.name === 'string') return body.name;
  return typeof existing?.name === 'string' ? existing.name : undefined;
}

class EntityHandlers {
  constructor(
    private readonly deps: EntityRoutesDeps,
    private readonly family: EntityName,
    private readonly nested: NestedResource | undefined,
  ) {}

  private async scope(params: Params): Promise<Scope | undefined> {
    if (!this.nested) return undefined;
    const parent = await resolveEntity(
      this.deps.store,
      this.deps.model,
      this.nested.parent,
      params.parent ?? '',
    );
    if (!parent) throw notFoundError({ family: this.nested.parent, key: params.parent });
    return { field: this.nested.field, parentId: parent.id };
  }

  /** Validation input: form coercion, the parent reference, foreign keys named by endpoint key. */
  private async prepare(req: FastifyRequest, scope: Scope | undefined, existing?: Entity | null) {
    const { store, model } = this.deps;
    const raw = req.body ?? {};
    const body = readBody(
      req,
      model,
      this.family,
      this.family === 'plugins' ? pluginNameOf(raw, existing) : undefined,
    );
    if (!isPlainObject(body)) return body;
    const scoped = scope ? { ...body, [scope.field]: { id: scope.parentId } } : body;
    return resolveForeignRefs(store, model, this.family, scoped);
  }

  list = async (req: FastifyRequest, reply: FastifyReply) => {
    const { store, model } = this.deps;
    const query = (req.query ?? {}) as Record<string, unknown>;
    const q = parseListQuery(query);
    const scope = await this.scope(req.params as Params);
    // `/consumers?custom_id=x`: a unique field in the query selects at most one entity.
    for (const field of model.definitions[this.family].uniqueFields) {
      const value = query[field];
      if (typeof value !== 'string') continue;
      const hit = await store.getByField(this.family, field, value);
      const ok = hit && (!scope || refId(hit[scope.field]) === scope.parentId);
      return reply.send({ data: ok ? [hit] : [], next: null });
    }
    const page = await store.list(this.family, {
      size: q.size,
      offset: q.offset,
      ...(q.tags ? { tags: q.tags, tagsMode: q.tagsMode } : {}),
      ...(scope ? { foreign: { field: scope.field, id: scope.parentId } } : {}),
    });
    const path = req.url.split('?')[0] ?? req.url;
    return reply.send({
      data: page.data,
      ...(page.offset ? { offset: page.offset } : {}),
      next: nextLink(path, page.offset, q),
    });
  };

  create = async (req: FastifyRequest, reply: FastifyReply) => {
    const { store, model } = this.deps;
    const scope = await this.scope(req.params as Params);
    const entity = model.validate(this.family, await this.prepare(req, scope));
    const stored = await store.transaction((tx) => tx.insert(this.family, entity));
    return reply.code(201).send(stored);
  };

  get = async (req: FastifyRequest, reply: FastifyReply) => {
    const params = req.params as Params;
    const scope = await this.scope(params);
    const entity = await resolveEntity(this.deps.store, this.deps.model, this.family, params.id ?? '', scope);
    if (!entity) throw notFoundError({ family: this.family, key: params.id });
    return reply.send(entity);
  };

  patch = async (req: FastifyRequest, reply: FastifyReply) => {
    const { store, model } = this.deps;
    const params = req.params as Params;
    // Lookups run inside the transaction: writes are serialised, so what we read stays true until commit.
    const stored = await store.transaction(async (tx) => {
      const scope = await this.scope(params);
      const existing = await resolveEntity(store, model, this.family, params.id ?? '', scope);
      if (!existing) throw notFoundError({ family: this.family, key: params.id });
      const entity = model.validate(this.family, await this.prepare(req, scope, existing), existing);
      return tx.update(this.family, { ...entity, id: existing.id });
    });
    return reply.send(stored);
  };

  put = async (req: FastifyRequest, reply: FastifyReply) => {
    const { store, model } = this.deps;
    const params = req.params as Params;
    const segment = params.id ?? '';
    const stored = await store.transaction(async (tx) => {
      const scope = await this.scope(params);
      const key = endpointKeyOf(model, this.family, scope !== undefined);
      if (!isUuid(segment) && !key) throw invalidPrimaryKey(segment);
      const existing = await resolveEntity(store, model, this.family, segment, scope);
      const body = await this.prepare(req, scope, existing);
      if (!isPlainObject(body)) return tx.upsert(this.family, model.validate(this.family, body));
      // The URL names the entity: its id or endpoint key wins over the body's.
      const input: Record<string, unknown> = { ...body };
      if (isUuid(segment) && (!existing || existing.id === segment)) input.id = segment;
      else if (key) {
        input[key] = segment;
        if (existing) input.id = existing.id;
      }
      return tx.upsert(this.family, model.validate(this.family, input));
    });
    return reply.send(stored);
  };

  remove = async (req: FastifyRequest, reply: FastifyReply) => {
    const { store, model } = this.deps;
    const params = req.params as Params;
    await store.transaction(async (tx) => {
      const scope = await this.scope(params);
      const existing = await resolveEntity(store, model, this.family, params.id ?? '', scope);
      if (existing) await tx.delete(this.family, existing.id);
    });
    // Idempotent, as Kong: deleting what is not there is still 204.
    return reply.code(204).send();
  };
}

/** `/{family}/{id}/{fk}`: the entity a foreign key points at (`/routes/{r}/service`). */
class ReferencedHandlers {
  constructor(
    private readonly deps: EntityRoutesDeps,
    private readonly family: EntityName,
    private readonly fk: ForeignKey,
  ) {}

  private async target(params: Params): Promise<Entity> {
    const { store, model } = this.deps;
    const owner = await resolveEntity(store, model, this.family, params.id ?? '');
    const id = owner ? refId(owner[this.fk.field]) : null;
    const target = id ? await store.get(this.fk.references, id) : null;
    if (!target) throw notFoundError({ family: this.fk.references, via: `${this.family}.${this.fk.field}` });
    return target;
  }

  get = async (req: FastifyRequest, reply: FastifyReply) =>
    reply.send(await this.target(req.params as Params));

  patch = async (req: FastifyRequest, reply: FastifyReply) => {
    const { store, model } = this.deps;
    const family = this.fk.references;
    const stored = await store.transaction(async (tx: WriteTxn) => {
      const existing = await this.target(req.params as Params);
      let body = readBody(
        req,
        model,
        family,
        family === 'plugins' ? pluginNameOf(req.body, existing) : undefined,
      );
      if (isPlainObject(body)) body = await resolveForeignRefs(store, model, family, body);
      return tx.update(family, { ...model.validate(family, body, existing), id: existing.id });
    });
    return reply.send(stored);
  };

  remove = async (req: FastifyRequest, reply: FastifyReply) => {
    await this.deps.store.transaction(async (tx) => {
      // Nothing to delete is still 204 (Kong's DELETE is idempotent); any other error propagates.
      const target = await this.target(req.params as Params).catch((err: unknown) => {
        if (err instanceof AdminHttpError && err.status === 404) return null;
        throw err;
      });
      if (target) await tx.delete(this.fk.references, target.id);
    });
    return reply.code(204).send();
  };
}

function registerCollection(
  app: FastifyInstance,
  deps: EntityRoutesDeps,
  family: EntityName,
  base: string,
  nested?: NestedResource,
) {
  const h = new EntityHandlers(deps, family, nested);
  app.get(base, h.list);
  app.post(base, h.create);
  app.get(`${base}/:id`, h.get);
  app.patch(`${base}/:id`, h.patch);
  app.put(`${base}/:id`, h.put);
  app.delete(`${base}/:id`, h.remove);
}

/** Registers every entity endpoint. */
export function registerEntityRoutes(app: FastifyInstance, deps: EntityRoutesDeps): void {
  for (const c of COLLECTIONS) registerCollection(app, deps, c.family, `/${c.path}`);
  for (const n of NESTED) {
    const parentPath = collectionPath(n.parent);
    if (parentPath) registerCollection(app, deps, n.family, `/${parentPath}/:parent/${n.segment}`, n);
  }
  for (const c of COLLECTIONS) {
    for (const fk of deps.model.definitions[c.family].foreignKeys) {
      const h = new ReferencedHandlers(deps, c.family, fk);
      const url = `/${c.path}/:id/${fk.field}`;
      app.get(url, h.get);
      app.patch(url, h.patch);
      app.delete(url, h.remove);
    }
  }
}
