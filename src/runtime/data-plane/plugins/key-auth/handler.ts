/**
 * key-auth: finds an API key in a header, the query string or the body (in that order per key
 * name), maps it to a keyauth_credential and its consumer. Kong 3.x messages and headers.
 */
import { keyAuthSchema } from '../../../plugins/key-auth/schema.js';
import { parseBody, serializeBody } from '../body-parse.js';
import { findAnonymous, fkId } from '../consumer-index.js';
import type { Entity, RequestContext } from '../context.js';
import { alreadyAuthenticated, setConsumer } from '../consumer-headers.js';
import { defineHandler, type PrepareEnv } from '../handler.js';

interface KeyAuthConf {
  keyNames: string[];
  headerNames: string[];
  hide: boolean;
  anonymous: string | null;
  inHeader: boolean;
  inQuery: boolean;
  inBody: boolean;
  runOnPreflight: boolean;
  env: PrepareEnv;
}

const WWW_AUTHENTICATE = 'Key realm="kong"';
// Bodies are only read for key_in_body; a key never needs more than this.
const BODY_LIMIT = 1024 * 1024;

function fail(ctx: RequestContext, message: string): void {
  ctx.exit(401, { message }, { 'WWW-Authenticate': WWW_AUTHENTICATE });
}

function useAnonymousOr(ctx: RequestContext, conf: KeyAuthConf, message: string): void {
  if (conf.anonymous === null) return fail(ctx, message);
  const consumer = findAnonymous(conf.env.consumers, conf.anonymous);
  if (consumer === undefined) {
    ctx.exit(500, { message: 'An unexpected error occurred' });
    return;
  }
  setConsumer(ctx, consumer, null);
}

function authenticate(ctx: RequestContext, conf: KeyAuthConf, key: string | string[] | undefined): void {
  if (key === undefined) return useAnonymousOr(ctx, conf, 'No API key found in request');
  if (Array.isArray(key)) return fail(ctx, 'Duplicate API key found');
  const credential = conf.env.consumers.keyauthByKey.get(key);
  const consumerId = credential === undefined ? undefined : fkId(credential.consumer);
  const consumer = consumerId === undefined ? undefined : conf.env.consumers.byId.get(consumerId);
  if (credential === undefined || consumer === undefined) {
    return useAnonymousOr(ctx, conf, 'Invalid authentication credentials');
  }
  setConsumer(ctx, consumer, credential as Entity);
}

// Header and query lookups; returns undefined when the key is in neither (body is checked after).
function findSync(ctx: RequestContext, conf: KeyAuthConf): string | string[] | undefined {
  for (let i = 0; i < conf.keyNames.length; i++) {
    if (conf.inHeader) {
      const h = ctx.request.headers[conf.headerNames[i]!];
      if (h !== undefined) {
        if (conf.hide) delete ctx.request.headers[conf.headerNames[i]!];
        return h;
      }
    }
    if (conf.inQuery && ctx.request.rawQuery !== '') {
      const q = ctx.query();
      const v = q[conf.keyNames[i]!];
      if (v !== undefined) {
        if (conf.hide) {
          const rest = { ...q };
          delete rest[conf.keyNames[i]!];
          ctx.upstream.query = new URLSearchParams(flatten(rest)).toString();
        }
        return v;
      }
    }
  }
  return undefined;
}

function flatten(q: Record<string, string | string[] | undefined>): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(q)) {
    if (Array.isArray(v)) for (const x of v) out.push([k, x]);
    else if (v !== undefined) out.push([k, v]);
  }
  return out;
}

async function fromBody(ctx: RequestContext, conf: KeyAuthConf): Promise<void> {
  const buf = await ctx.readBody(BODY_LIMIT);
  let key: string | string[] | undefined;
  if (buf !== null) {
    const body = parseBody(buf, ctx.header('content-type'));
    if (body.kind !== 'other') {
      for (const name of conf.keyNames) {
        const v = body.value[name];
        if (typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'))) {
          key = v as string | string[];
          if (conf.hide) {
            delete body.value[name];
            ctx.setUpstreamBody(serializeBody(body));
          }
          break;
        }
      }
    }
  }
  authenticate(ctx, conf, key);
}

/** The key-auth handler (priority 1250, Kong's). */
export const keyAuthHandler = defineHandler<KeyAuthConf>({
  name: 'key-auth',
  version: keyAuthSchema.version,
  priority: keyAuthSchema.priority,
  prepare(config, _entity, env) {
    const keyNames = config.key_names as string[];
    return {
      keyNames,
      headerNames: keyNames.map((k) => k.toLowerCase()),
      hide: config.hide_credentials === true,
      anonymous: (config.anonymous as string | null) ?? null,
      inHeader: config.key_in_header !== false,
      inQuery: config.key_in_query !== false,
      inBody: config.key_in_body === true,
      runOnPreflight: config.run_on_preflight !== false,
      env,
    };
  },
  phases: {
    access(ctx, conf) {
      if (!conf.runOnPreflight && ctx.request.method === 'OPTIONS') return;
      if (alreadyAuthenticated(ctx, conf.anonymous)) return;
      const key = findSync(ctx, conf);
      if (key === undefined && conf.inBody) return fromBody(ctx, conf);
      authenticate(ctx, conf, key);
    },
  },
});
