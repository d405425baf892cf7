import type { FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createSecureContext, type Server as TlsServer } from 'node:tls';
import type { Logger } from '../../../shared/logger.js';
import { HybridgateError, errorMessage } from '../../../shared/errors.js';
import { watchPemFiles, type PemFileWatcher } from '../../protocol/pem-file-watcher.js';
import type { Conf, ListenAddress } from '../../config/conf/types.js';
import { ensureDefaultCertificate } from '../../tls/default-certificate.js';
import type { Store } from '../store/store.js';
import { buildAdminApp, type RouteModule } from './admin-app.js';
import { registerConfigRoutes } from './config-routes.js';
import type { EntityModel } from './entity-model.js';
import { registerEntityRoutes } from './entity-routes.js';
import { registerInfoRoutes } from './info-routes.js';
import { registerSchemaRoutes } from './schema-routes.js';
import { ServerCounters } from './server-counters.js';
import { loadAdminTokens, type AdminTokens } from './admin-tokens.js';

/** An Admin API listener could not start (address in use, bad certificate). */
export class AdminListenError extends HybridgateError {
  constructor(message: string, context: Record<string, unknown>, options?: ErrorOptions) {
    super('HG_ERR_ADMIN_LISTEN', message, context, options);
  }
}

/** What the Admin API serves from. */
export interface AdminServerDeps {
  conf: Conf;
  logger: Logger;
  store: Store;
  model: EntityModel;
  nodeId: string;
  /** More route modules (the clustering engineer's `/clustering/*`), registered on every listener. */
  modules?: readonly RouteModule[];
  /** Fallback poll of admin_auth_tokens_file (tests shorten it). */
  tokensPollIntervalMs?: number;
  /** Fallback poll of the admin_ssl_cert / admin_ssl_cert_key files (default 5000 ms). */
  certPollIntervalMs?: number;
}

/** One bound listener. */
export interface AdminAddress {
  host: string;
  port: number;
  ssl: boolean;
}

/** The running Admin API. */
export interface AdminServer {
  addresses: AdminAddress[];
  close(): Promise<void>;
}

/**
 * Slow clients on the Admin API, with the proxy's nginx_http_* timeouts: headers within
 * client_header_timeout, the whole request within header + body timeouts (Admin bodies are at most
 * 10 MiB, so a total bound is enough here), idle keep-alive closed after keepalive_timeout. Node sweeps
 * for expired requests every connectionsCheckingInterval (30 s by default): tightened so the limits
 * hold on time. HTTP/2 listeners (Http2SecureServer) have none of these settings: only an idle timeout.
 */
function applySlowClientTimeouts(server: FastifyInstance['server'], conf: Conf): void {
  const s = server as unknown as Partial<
    Record<'headersTimeout' | 'requestTimeout' | 'keepAliveTimeout', number>
  > & {
    connectionsCheckingInterval?: number;
    setTimeout(ms: number): unknown;
  };
  if (s.headersTimeout === undefined) {
    s.setTimeout(conf.nginx_http_client_header_timeout + conf.nginx_http_client_body_timeout);
    return;
  }
  s.headersTimeout = conf.nginx_http_client_header_timeout;
  s.requestTimeout = conf.nginx_http_client_header_timeout + conf.nginx_http_client_body_timeout;
  s.keepAliveTimeout = conf.nginx_http_keepalive_timeout;
  s.connectionsCheckingInterval = Math.min(
    5000,
    Math.max(100, Math.floor(conf.nginx_http_client_header_timeout / 4)),
  );
}

async function tlsFor(
  conf: Conf,
  address: ListenAddress,
): Promise<{ cert: string; key: string; http2: boolean } | undefined> {
  if (!address.ssl) return undefined;
  const cert = conf.admin_ssl_cert[0];
  const key = conf.admin_ssl_cert_key[0];
  if (cert && key) return { cert: cert.pem, key: key.pem, http2: address.http2 };
  const generated = await ensureDefaultCertificate(conf.prefix, 'admin');
  return { cert: generated.cert, key: generated.key, http2: address.http2 };
}

/**
 * Follows `admin_ssl_cert` / `admin_ssl_cert_key` files (a Secret renewed in place by the operator:
 * the kubelet swaps the mount's `..data` symlink) into the running TLS listeners with setSecureContext,
 * so new connections get the new certificate without a restart. A pair that does not load (caught
 * half-written, key not matching) keeps the previous one, is logged, and is retried on the next change.
 * Null when neither value is a file (inline PEM or the generated default certificate never change).
 */
function watchAdminCertificate(
  conf: Conf,
  servers: () => TlsServer[],
  logger: Logger,
  pollIntervalMs?: number,
): PemFileWatcher | null {
  const cert = conf.admin_ssl_cert[0];
  const key = conf.admin_ssl_cert_key[0];
  if (!cert || !key) return null;
  const paths = [cert.path, key.path].filter((p): p is string => p !== null);
  if (paths.length === 0) return null;
  const read = (v: { path: string | null; pem: string }) =>
    v.path === null ? v.pem : readFileSync(v.path, 'utf8');
  let served = { cert: cert.pem, key: key.pem };
  const reload = () => {
    let next: { cert: string; key: string };
    try {
      next = { cert: read(cert), key: read(key) };
      // Throws on unparsable PEM and on a key that does not belong to the certificate.
      createSecureContext(next);
    } catch (err) {
      logger.warn(
        { err: errorMessage(err), paths },
        'admin api certificate files changed but cannot be used, keeping the previous ones',
      );
      return;
    }
    if (next.cert === served.cert && next.key === served.key) return;
    for (const server of servers()) server.setSecureContext(next);
    served = next;
    logger.info({ paths }, 'admin api certificate files reloaded');
  };
  const watcher = watchPemFiles({
    paths,
    onChange: reload,
    ...(pollIntervalMs === undefined ? {} : { pollIntervalMs }),
    onWatchError: (dir, err) =>
      logger.warn({ dir, err }, 'unable to watch admin certificate directory, relying on polling'),
  });
  // A rotation between conf loading and now produced no event the watcher could see.
  reload();
  return watcher;
}

/**
 * Starts the Admin API on every `admin_listen` address (`ssl` ones with `admin_ssl_cert`, or the
 * default certificate in `<prefix>/ssl`). If one listener fails, the ones already started are closed.
 */
export async function startAdminServer(deps: AdminServerDeps): Promise<AdminServer> {
  const counters = new ServerCounters();
  const modules: RouteModule[] = [
    (app) =>
      registerInfoRoutes(app, {
        conf: deps.conf,
        nodeId: deps.nodeId,
        store: deps.store,
        model: deps.model,
        counters,
      }),
    (app) => registerEntityRoutes(app, { store: deps.store, model: deps.model }),
    (app) => registerSchemaRoutes(app, { model: deps.model }),
    (app) => registerConfigRoutes(app, { store: deps.store, model: deps.model }),
    ...(deps.modules ?? []),
  ];
  const apps: FastifyInstance[] = [];
  const addresses: AdminAddress[] = [];
  let auth: AdminTokens | undefined;
  if (deps.conf.admin_auth === 'token') {
    if (!deps.conf.admin_auth_tokens_file) {
      throw new AdminListenError('admin_auth = token needs admin_auth_tokens_file', { admin_auth: 'token' });
    }
    auth = loadAdminTokens({
      file: deps.conf.admin_auth_tokens_file,
      logger: deps.logger,
      ...(deps.tokensPollIntervalMs === undefined ? {} : { pollIntervalMs: deps.tokensPollIntervalMs }),
    });
  }
  let certWatcher: PemFileWatcher | null = null;
  const close = async () => {
    certWatcher?.close();
    auth?.close();
    await Promise.allSettled(apps.map((a) => a.close()));
  };
  // TLS listeners using admin_ssl_cert (never the generated default: it has no file to follow).
  const tlsServers: TlsServer[] = [];
  for (const listen of deps.conf.admin_listen) {
    try {
      const tls = await tlsFor(deps.conf, listen);
      const app = buildAdminApp({
        logger: deps.logger,
        counters,
        modules,
        ...(tls ? { tls } : {}),
        ...(auth ? { auth } : {}),
      });
      apps.push(app);
      applySlowClientTimeouts(app.server, deps.conf);
      await app.listen({
        host: listen.host,
        port: listen.port,
        ...(listen.backlog ? { backlog: listen.backlog } : {}),
      });
      const bound = app.server.address() as AddressInfo;
      addresses.push({ host: listen.host, port: bound.port, ssl: listen.ssl });
      if (tls) tlsServers.push(app.server as unknown as TlsServer);
      deps.logger.info({ host: listen.host, port: bound.port, ssl: listen.ssl }, 'admin api listening');
    } catch (err) {
      await close();
      throw new AdminListenError(
        `admin_listen ${listen.host}:${listen.port}${listen.ssl ? ' ssl' : ''}: cannot listen: ${(err as Error).message}`,
        { host: listen.host, port: listen.port },
        { cause: err },
      );
    }
  }
  if (tlsServers.length > 0) {
    certWatcher = watchAdminCertificate(deps.conf, () => tlsServers, deps.logger, deps.certPollIntervalMs);
  }
  return { addresses, close };
}
