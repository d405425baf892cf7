import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parse, stringify } from 'yaml';
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
import { AdminBodyError, invalidOptions } from './admin-errors.js';
import type { EntityModel } from './entity-model.js';
import {
  checkSelectedReplace,
  previewSelectedReplace,
  selectTagged,
  summariseChanges,
} from './selected-config.js';

// Kong's tag rule: printable ASCII except `,` and `/`, plus any UTF-8 above 0x7F.
const TAG_RE = /^[\x21-\x2b\x2d-\x2e\x30-\x7e\u0080-\u{10ffff}]+$/u;

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

/** A posted configuration: validated, and the document as written (for error paths). */
interface Posted {
  config: DeclarativeConfig;
  /** The document before normalisation; parsed again from text only when an error needs its paths. */
  raw: () => unknown;
}

/**
 * The posted configuration, in any of the shapes Kong's `POST /config` takes: `{ "config": "<yaml or
 * json text>" }` (JSON or form), `{ "config": { ...declarative... } }`, the declarative object itself,
 * or a raw YAML body. Always validated as a whole by the declarative loader.
 */
function readPostedConfig(body: unknown, enabledPlugins: readonly string[]): Posted {
  const opts = { enabledPlugins };
  // Only called after the text parsed once, so parsing it again cannot fail.
  const fromText = (text: string) => () => parse(text) as unknown;
  if (typeof body === 'string') return { config: parseText(body, opts), raw: fromText(body) };
  if (isPlainObject(body)) {
    const inner = body.config;
    if (typeof inner === 'string') return { config: parseText(inner, opts), raw: fromText(inner) };
    if (isPlainObject(inner)) return { config: validateDeclarativeConfig(inner, opts), raw: () => inner };
    if ('_format_version' in body) return { config: validateDeclarativeConfig(body, opts), raw: () => body };
  }
  throw new DbError(
    'DECLARATIVE_CONFIG',
    "expected a declarative configuration: a 'config' field holding YAML or JSON, or the declarative object itself",
    { config: 'required field missing' },
  );
}

/**
 * `GET /config`: everything in the store as one declarative document (JSON, or YAML with
 * `?format=yaml` / `Accept: application/yaml`); `?select_tags=<tag>` exports only the entities carrying
 * the tag. `POST /config`: replaces everything atomically with a validated declarative document (201
 * with the flat entities); an invalid one is Kong's code 14 and changes nothing; `?check_hash=1`
 * answers 304 when the posted config hashes like the current one. `?select_tags=<tag>` replaces only
 * the tagged entities and `?dry_run=1` reports what would change (ours: docs/admin-api-extensions.md).
 */
export function registerConfigRoutes(app: FastifyInstance, deps: ConfigRoutesDeps): void {
  const { store, model } = deps;

  app.get('/config', async (req, reply) => {
    const tag = selectTagOf(queryOf(req));
    const { config } = await store.snapshot();
    const exported = exportDeclarative(tag === undefined ? config : selectTagged(config, tag));
    if (wantsYaml(req)) return reply.type('application/yaml; charset=utf-8').send(stringify(exported));
    return reply.send(exported);
  });

  app.post('/config', async (req, reply) => {
    const query = queryOf(req);
    const tag = selectTagOf(query);
    const dryRun = flag(query, 'dry_run');
    const posted = readPostedConfig(req.body, model.enabledPlugins);
    if (tag !== undefined) return postSelected(store, posted, tag, dryRun, reply);
    if (dryRun) {
      const current = await store.snapshot();
      const summary = previewSelectedReplace(posted.config, current.config, null);
      return reply.code(200).send({ dry_run: true, version: current.version, ...summary });
    }
    if (flag(query, 'check_hash')) {
      const current = await store.snapshot();
      if (contentHash(exportDeclarative(current.config)) === contentHash(posted.config)) {
        return reply.code(304).send();
      }
    }
    await store.replaceAll(posted.config as StoreConfig);
    const { config: stored } = await store.snapshot();
    return reply.code(201).send(exportDeclarative(stored));
  });
}

async function postSelected(store: Store, posted: Posted, tag: string, dryRun: boolean, reply: FastifyReply) {
  const current = await store.snapshot();
  checkSelectedReplace(posted.config, posted.raw(), current.config, tag);
  if (dryRun) {
    const summary = previewSelectedReplace(posted.config, current.config, tag);
    return reply.code(200).send({ select_tags: tag, dry_run: true, version: current.version, ...summary });
  }
  // The store checks its rules again inside the write, so a concurrent write cannot slip a clash in.
  const { version, changes } = await store.replaceSelected(posted.config as StoreConfig, tag);
  const after = await store.snapshot();
  const summary = summariseChanges(posted.config, changes);
  return reply.code(changes.length > 0 ? 201 : 200).send({
    select_tags: tag,
    dry_run: false,
    version,
    ...summary,
    config: exportDeclarative(selectTagged(after.config, tag)),
  });
}

function queryOf(req: FastifyRequest): Record<string, unknown> {
  return (req.query as Record<string, unknown> | undefined) ?? {};
}

function flag(query: Record<string, unknown>, name: string): boolean {
  const v = query[name];
  return v === '1' || v === 'true' || v === '';
}

/** `?select_tags=<one tag>`; Kong's tag syntax, one tag only (a set would make "managed" ambiguous). */
function selectTagOf(query: Record<string, unknown>): string | undefined {
  const v = query.select_tags;
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !TAG_RE.test(v)) {
    const { status, body } = invalidOptions({
      select_tags: 'expected one tag: printable ascii (except `,` and `/`) or valid utf-8 sequences',
    });
    throw new AdminBodyError(status, body);
  }
  return v;
}
