import type { FastifyInstance, FastifyRequest } from 'fastify';
import { stringify } from 'yaml';
import {
  exportDeclarative,
  parseDeclarative,
  validateDeclarativeConfig,
} from '../../config/declarative/index.js';
import type { DeclarativeConfig } from '../../config/declarative/types.js';
import { configHashes } from '../../config/hash.js';
import { DbError } from '../../errors.js';
import { errorMessage, HybridgateError } from '../../../shared/errors.js';
import type { Store, StoreConfig } from '../store/store.js';
import type { EntityModel } from './entity-model.js';

/** What the /config routes need. */
export interface ConfigRoutesDeps {
  store: Store;
  model: EntityModel;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The hash `?check_hash` compares: Kong's config hash of the content without the store's timestamps,
 * since a posted document rarely carries them and re-posting it keeps the stored ones anyway.
 */
function contentHash(config: StoreConfig | DeclarativeConfig): string {
  const stripped: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    stripped[key] = Array.isArray(value)
      ? value.map((e: Record<string, unknown>) => ({ ...e, created_at: undefined, updated_at: undefined }))
      : value;
  }
  return configHashes(JSON.parse(JSON.stringify(stripped)) as Record<string, unknown>).config;
}

function wantsYaml(req: FastifyRequest): boolean {
  const format = (req.query as Record<string, unknown> | undefined)?.format;
  if (format === 'yaml' || format === 'yml') return true;
  if (format === 'json') return false;
  return /\b(application|text)\/(x-)?yaml\b/i.test(req.headers.accept ?? '');
}

/**
 * Deepest `[`/`{` nesting a posted YAML or JSON text may have. The YAML parser spends ~0.1 ms per
 * level of flow nesting, so a 10 MiB body of `[` would hold the event loop for minutes; real
 * declarative documents nest a dozen levels.
 */
export const MAX_FLOW_NESTING = 512;

/**
 * The deepest bracket nesting of a text, counting brackets inside quoted strings too: over-counting
 * can only refuse a pathological document early, never let a deep one through.
 */
export function flowNestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > max) max = depth;
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  return max;
}

/**
 * parseDeclarative, with anything it throws that is not already a typed error (the YAML library's
 * alias-bomb guard throws a bare ReferenceError) answered as Kong's code 14 rather than a 500: it is
 * the posted text that is wrong, not the server.
 */
function parseText(text: string, opts: { enabledPlugins: readonly string[] }): DeclarativeConfig {
  const depth = flowNestingDepth(text);
  if (depth > MAX_FLOW_NESTING) {
    const message = `failed parsing declarative configuration: brackets nested deeper than ${MAX_FLOW_NESTING} levels`;
    throw new DbError('DECLARATIVE_CONFIG', message, undefined, { errors: [{ path: '', message }], depth });
  }
  try {
    return parseDeclarative(text, opts);
  } catch (err) {
    if (err instanceof HybridgateError) throw err;
    const message = `failed parsing declarative configuration: ${errorMessage(err)}`;
    throw new DbError('DECLARATIVE_CONFIG', message, undefined, { errors: [{ path: '', message }] });
  }
}

/**
 * The posted configuration, in any of the shapes Kong's `POST /config` takes: `{ "config": "<yaml or
 * json text>" }` (JSON or form), `{ "config": { ...declarative... } }`, the declarative object itself,
 * or a raw YAML body. Always validated as a whole by the declarative loader.
 */
function readPostedConfig(body: unknown, enabledPlugins: readonly string[]): DeclarativeConfig {
  const opts = { enabledPlugins };
  if (typeof body === 'string') return parseText(body, opts);
  if (isPlainObject(body)) {
    if (typeof body.config === 'string') return parseText(body.config, opts);
    if (isPlainObject(body.config)) return validateDeclarativeConfig(body.config, opts);
    if ('_format_version' in body) return validateDeclarativeConfig(body, opts);
  }
  throw new DbError(
    'DECLARATIVE_CONFIG',
    "expected a declarative configuration: a 'config' field holding YAML or JSON, or the declarative object itself",
    { config: 'required field missing' },
  );
}

/**
 * `GET /config`: everything in the store as one declarative document (JSON, or YAML with
 * `?format=yaml` / `Accept: application/yaml`). `POST /config`: replaces everything atomically with a
 * validated declarative document (201 with the flat entities); an invalid one is Kong's code 14 and
 * changes nothing; `?check_hash=1` answers 304 when the posted config hashes like the current one.
 */
export function registerConfigRoutes(app: FastifyInstance, deps: ConfigRoutesDeps): void {
  const { store, model } = deps;

  app.get('/config', async (req, reply) => {
    const { config } = await store.snapshot();
    const exported = exportDeclarative(config);
    if (wantsYaml(req)) return reply.type('application/yaml; charset=utf-8').send(stringify(exported));
    return reply.send(exported);
  });

  app.post('/config', async (req, reply) => {
    const config = readPostedConfig(req.body, model.enabledPlugins);
    const checkHash = (req.query as Record<string, unknown> | undefined)?.check_hash;
    if (checkHash === '1' || checkHash === 'true') {
      const current = await store.snapshot();
      if (contentHash(exportDeclarative(current.config)) === contentHash(config)) {
        return reply.code(304).send();
      }
    }
    await store.replaceAll(config as StoreConfig);
    const { config: stored } = await store.snapshot();
    return reply.code(201).send(exportDeclarative(stored));
  });
}
