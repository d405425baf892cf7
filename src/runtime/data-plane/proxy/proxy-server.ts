import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../../shared/logger.js';
import type { ListenAddress } from '../../config/conf/types.js';
import type { DataPlaneEngine } from '../engine/create-data-plane-engine.js';
import { KONG_MESSAGES, writeRawKongError } from './kong-responses.js';
import type { PluginRunner } from './plugin-hooks.js';
import { createProxyHandler, type ExchangeRecorder } from './proxy-handler.js';
import type { ProxyOptions } from './proxy-options.js';
import { applyClientTimeouts, armBodyTimeout } from './client-timeouts.js';
import { hasBody } from './request-body.js';
import { compileTrustedIps } from './trusted-ips.js';
import { UpstreamPools } from './upstream-pools.js';
import { createUpgradeHandler } from './websocket-proxy.js';

/** Inputs of the proxy listeners. */
export interface ProxyServerInput {
  engine: DataPlaneEngine;
  listen: readonly ListenAddress[];
  options: ProxyOptions;
  /** The certificate served when no SNI entity matches (conf ssl_cert or the generated default). */
  defaultCertificate: { cert: string; key: string } | null;
  recorder: ExchangeRecorder | null;
  plugins: PluginRunner | null;
  logger: Logger;
}

/** A bound proxy listener. */
export interface BoundAddress {
  host: string;
  port: number;
  ssl: boolean;
}

/** The running proxy. */
export interface ProxyServer {
  addresses: BoundAddress[];
  /** Downstream connection counters (the status API's `server` block). */
  stats(): { accepted: number; active: number };
  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), then closes pools. */
  close(graceMs?: number): Promise<void>;
}

function listen(server: http.Server, addr: ListenAddress): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(
      { host: addr.host, port: addr.port, backlog: addr.backlog ?? 511, reusePort: addr.reusePort },
      () => {
        server.off('error', reject);
        resolve(server.address() as AddressInfo);
      },
    );
  });
}

/**
 * Starts the proxy_listen listeners (plain and `ssl`), wiring the request handler, the WebSocket
 * upgrade handler, SNI certificate selection from the live state, and Kong-shaped answers to protocol
 * errors (oversized headers → 431, malformed requests → 400).
 */
export async function startProxyServer(input: ProxyServerInput): Promise<ProxyServer> {
  const { engine, options, logger } = input;
  const trusted = compileTrustedIps(options.trustedIps);
  const pools = new UpstreamPools({
    poolSize: options.keepalivePoolSize,
    maxRequests: options.keepaliveMaxRequests,
    idleTimeoutMs: options.keepaliveIdleTimeoutMs,
  });
  const handler = createProxyHandler({
    engine,
    options,
    trusted,
    pools,
    recorder: input.recorder,
    plugins: input.plugins,
    logger,
  });
  const upgrade = createUpgradeHandler({ engine, options, trusted, plugins: input.plugins, logger });
  const server = options.serverTokens ? options.serverToken : null;
  const upgraded = new Set<Duplex>();
  const servers: http.Server[] = [];
  const addresses: BoundAddress[] = [];
  const counters = { accepted: 0, active: 0 };
  const onConnection = (sock: Duplex): void => {
    counters.accepted++;
    counters.active++;
    sock.once('close', () => counters.active--);
  };

  // nginx's client_body_timeout runs only while a body is read (client-timeouts.ts).
  const guarded = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    if (hasBody(req)) armBodyTimeout(req, options.clientBodyTimeoutMs);
    handler(req, res);
  };
  const onClientError = (err: Error & { code?: string }, socket: Duplex): void => {
    if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    if (err.code === 'HPE_HEADER_OVERFLOW')
      return writeRawKongError(socket, 431, KONG_MESSAGES.headersTooLarge, server);
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT')
      return writeRawKongError(socket, 408, 'Request Timeout', server);
    writeRawKongError(socket, 400, KONG_MESSAGES.badRequest, server);
  };
  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    upgrade(req, socket, head);
  };

  try {
    for (const addr of input.listen) {
      const common = { maxHeaderSize: options.maxHeaderSize, keepAlive: true, noDelay: true };
      let srv: http.Server;
      if (addr.ssl) {
        if (input.defaultCertificate === null)
          throw new Error(`proxy_listen ${addr.host}:${addr.port} ssl: no default certificate`);
        srv = https.createServer(
          {
            ...common,
            cert: input.defaultCertificate.cert,
            key: input.defaultCertificate.key,
            SNICallback: (name, cb) => {
              try {
                cb(null, engine.current()?.certificates.lookup(name));
              } catch (err) {
                cb(err as Error);
              }
            },
          },
          guarded,
        );
      } else srv = http.createServer(common, guarded);
      applyClientTimeouts(srv, {
        headerMs: options.clientHeaderTimeoutMs,
        bodyMs: options.clientBodyTimeoutMs,
        keepAliveMs: options.keepaliveTimeoutMs,
      });
      srv.on('clientError', onClientError);
      srv.on(addr.ssl ? 'secureConnection' : 'connection', onConnection);
      srv.on('upgrade', onUpgrade);
      srv.on('tlsClientError', (_err: Error, socket: Duplex) => socket.destroy());
      const bound = await listen(srv, addr);
      servers.push(srv);
      addresses.push({ host: bound.address, port: bound.port, ssl: addr.ssl });
    }
  } catch (err) {
    for (const s of servers) s.close();
    await pools.close();
    throw err;
  }

  return {
    addresses,
    stats: () => ({ ...counters }),
    async close(graceMs = 10_000) {
      const closing = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
      // Keep-alive connections turn idle as their last response ends; close them as that happens.
      const idleSweep = setInterval(() => {
        for (const s of servers) s.closeIdleConnections();
      }, 25);
      for (const s of servers) s.closeIdleConnections();
      const deadline = setTimeout(() => {
        for (const s of servers) s.closeAllConnections();
        for (const sock of upgraded) sock.destroy();
      }, graceMs);
      deadline.unref();
      for (const sock of upgraded) sock.end();
      await Promise.all(closing);
      clearTimeout(deadline);
      clearInterval(idleSweep);
      await pools.close();
    },
  };
}
