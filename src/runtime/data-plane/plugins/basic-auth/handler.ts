/**
 * basic-auth: credentials from Authorization, then Proxy-Authorization; passwords are compared in
 * Kong's stored form, sha1(password + consumer_id) in hex.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { basicAuthSchema } from '../../../plugins/basic-auth/schema.js';
import { findAnonymous, fkId } from '../consumer-index.js';
import type { RequestContext } from '../context.js';
import { alreadyAuthenticated, setConsumer } from '../consumer-headers.js';
import { defineHandler, type PrepareEnv } from '../handler.js';

interface BasicAuthConf {
  hide: boolean;
  anonymous: string | null;
  challenge: string;
  env: PrepareEnv;
}

/** Decodes `Basic <base64(user:pass)>`; null when the header is not a well-formed Basic credential. */
export function decodeBasic(header: string | undefined): { username: string; password: string } | null {
  if (header === undefined) return null;
  const m = /^\s*basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (m === null) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function unauthorized(ctx: RequestContext, conf: BasicAuthConf, message: string): void {
  if (conf.anonymous !== null) {
    const consumer = findAnonymous(conf.env.consumers, conf.anonymous);
    if (consumer === undefined) return ctx.exit(500, { message: 'An unexpected error occurred' });
    return setConsumer(ctx, consumer, null);
  }
  ctx.exit(401, { message }, { 'WWW-Authenticate': conf.challenge });
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The basic-auth handler (priority 1100, Kong's). */
export const basicAuthHandler = defineHandler<BasicAuthConf>({
  name: 'basic-auth',
  version: basicAuthSchema.version,
  priority: basicAuthSchema.priority,
  prepare(config, _entity, env) {
    return {
      hide: config.hide_credentials === true,
      anonymous: (config.anonymous as string | null) ?? null,
      challenge: `Basic realm="${String(config.realm ?? 'service')}"`,
      env,
    };
  },
  phases: {
    access(ctx, conf) {
      if (alreadyAuthenticated(ctx, conf.anonymous)) return;
      const auth = ctx.header('authorization');
      const proxyAuth = ctx.header('proxy-authorization');
      if (auth === undefined && proxyAuth === undefined) return unauthorized(ctx, conf, 'Unauthorized');
      const given = decodeBasic(auth) ?? decodeBasic(proxyAuth);
      const credential =
        given === null ? undefined : conf.env.consumers.basicauthByUsername.get(given.username);
      const consumerId = credential === undefined ? undefined : fkId(credential.consumer);
      const consumer = consumerId === undefined ? undefined : conf.env.consumers.byId.get(consumerId);
      if (given === null || credential === undefined || consumer === undefined) {
        return unauthorized(ctx, conf, 'Invalid authentication credentials');
      }
      const hash = createHash('sha1')
        .update(given.password + consumer.id)
        .digest('hex');
      if (typeof credential.password !== 'string' || !sameHash(hash, credential.password)) {
        return unauthorized(ctx, conf, 'Invalid authentication credentials');
      }
      if (conf.hide) {
        delete ctx.request.headers.authorization;
        delete ctx.request.headers['proxy-authorization'];
      }
      setConsumer(ctx, consumer, credential);
    },
  },
});
