import Fastify, { type FastifyInstance, type FastifyServerOptions, type HTTPMethods } from 'fastify';
import type { Logger } from '../../../shared/logger.js';
import { makeErrorHandler } from './admin-errors.js';
import { ADMIN_BODY_LIMIT, registerBodyParsers } from './body-parsers.js';
import type { ServerCounters } from './server-counters.js';
import { presentedTokens, type AdminTokens } from './admin-tokens.js';

/** A module of Admin API routes (`registerEntityRoutes`, the clustering engineer's `/clustering/*`, ...). */
export type RouteModule = (app: FastifyInstance) => void;

/** How one Admin API listener is built. */
export interface AdminAppOptions {
  logger: Logger;
  counters: ServerCounters;
  modules: readonly RouteModule[];
  /** TLS for an `ssl` listener; `http2` adds HTTP/2 (HTTP/1.1 still accepted). */
  tls?: { cert: string; key: string; http2: boolean };
  /** With `admin_auth = token`: every request must present one of these tokens, else 401. */
  auth?: AdminTokens;
}

// At most one warning per window for refused requests: a scanner must not be able to flood the log.
const UNAUTHORIZED_LOG_WINDOW_MS = 10_000;

/**
 * Refuses, before routing (so unknown paths and methods reveal nothing either), every request that
 * does not carry a valid token, with Kong's 401 body. The token itself is never logged.
 */
function registerTokenAuth(app: FastifyInstance, auth: AdminTokens, logger: Logger): void {
  let windowStart = 0;
  let refused = 0;
  app.addHook('onRequest', async (req, reply) => {
    if (presentedTokens(req.headers).some((t) => auth.verify(t))) return;
    refused++;
    const now = Date.now();
    if (now - windowStart >= UNAUTHORIZED_LOG_WINDOW_MS) {
      logger.warn(
        { ip: req.ip, method: req.method, url: req.url.split('?')[0], refused },
        'admin api request refused: missing or invalid token',
      );
      windowStart = now;
      refused = 0;
    }
    return reply
      .code(401)
      .header('www-authenticate', 'Bearer realm="hybridgate-admin"')
      .send({ message: 'Unauthorized' });
  });
}

const METHODS: readonly HTTPMethods[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * Answers Kong's 405 `{"message":"Method not allowed"}` for a method a known path does not have, and
 * OPTIONS with the allowed methods. Registered after every module, from the routes they added, so a
 * module needs no knowledge of this.
 */
function registerMethodFallbacks(app: FastifyInstance, routes: Map<string, Set<string>>): void {
  for (const [url, methods] of routes) {
    const allow = [...methods, 'OPTIONS'].join(', ');
    const missing = METHODS.filter((m) => !methods.has(m));
    if (missing.length > 0) {
      app.route({
        method: missing,
        url,
        handler: async (_req, reply) =>
          reply.code(405).header('allow', allow).send({ message: 'Method not allowed' }),
      });
    }
    if (!methods.has('OPTIONS')) {
      app.options(url, async (_req, reply) => reply.code(204).header('allow', allow).send());
    }
  }
}

/**
 * Builds one Admin API listener's fastify instance: Kong-compatible body parsing, errors, 404 and 405,
 * request counting, and the given route modules. Not listening yet.
 */
export function buildAdminApp(opts: AdminAppOptions): FastifyInstance {
  const base: FastifyServerOptions = {
    logger: false,
    bodyLimit: ADMIN_BODY_LIMIT,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2048 },
  };
  const app = (
    opts.tls
      ? Fastify({
          ...base,
          ...(opts.tls.http2
            ? { http2: true, https: { allowHTTP1: true, cert: opts.tls.cert, key: opts.tls.key } }
            : { https: { cert: opts.tls.cert, key: opts.tls.key } }),
        } as FastifyServerOptions)
      : Fastify(base)
  ) as FastifyInstance;

  registerBodyParsers(app);
  app.setErrorHandler(makeErrorHandler(opts.logger));
  app.setNotFoundHandler(async (_req, reply) => reply.code(404).send({ message: 'Not found' }));

  // Counted first so that refused requests show in the server counters too.
  app.addHook('onRequest', async (req) => {
    const done = opts.counters.requestStarted();
    req.raw.once('close', done);
    (req as unknown as { hgDone?: () => void }).hgDone = done;
  });
  app.addHook('onResponse', async (req, reply) => {
    (req as unknown as { hgDone?: () => void }).hgDone?.();
    opts.logger.debug({ method: req.method, url: req.url, status: reply.statusCode }, 'admin api request');
  });

  if (opts.auth) registerTokenAuth(app, opts.auth, opts.logger);

  const routes = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const set = routes.get(route.url) ?? new Set<string>();
    for (const m of [route.method].flat()) set.add(String(m).toUpperCase());
    routes.set(route.url, set);
  });
  for (const register of opts.modules) register(app);
  registerMethodFallbacks(app, new Map([...routes].map(([url, set]) => [url, new Set(set)])));
  opts.counters.watch(app.server);
  return app;
}
