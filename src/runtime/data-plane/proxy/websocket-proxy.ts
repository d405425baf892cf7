import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../../shared/logger.js';
import { errorMessage } from '../../../shared/errors.js';
import type { DataPlaneEngine } from '../engine/create-data-plane-engine.js';
import type { Peer, ServicePlan } from '../engine/types.js';
import { buildUpstreamHeaders, realClientIp } from './forwarded-headers.js';
import { KONG_MESSAGES, writeRawKongError } from './kong-responses.js';
import type { PluginRunner } from './plugin-hooks.js';
import type { ProxyOptions } from './proxy-options.js';
import { splitTarget } from './proxy-handler.js';
import { normalizePath } from '../router/normalize-path.js';
import type { TrustedIps } from './trusted-ips.js';

/** What the upgrade handler needs (the same pieces as the request handler). */
export interface WebSocketProxyDeps {
  engine: DataPlaneEngine;
  options: ProxyOptions;
  trusted: TrustedIps;
  plugins: PluginRunner | null;
  logger: Logger;
}

function connectPeer(plan: ServicePlan, peer: Peer): Duplex {
  const opts = { host: peer.host, port: peer.port };
  if (plan.protocol === 'https') {
    return tls.connect({
      ...opts,
      rejectUnauthorized: plan.tlsVerify,
      ...(plan.ca !== null ? { ca: plan.ca } : {}),
      ...(net.isIP(peer.host) === 0 ? { servername: peer.host } : {}),
    });
  }
  return net.connect(opts);
}

/**
 * The `upgrade` handler of proxy_listen: routes the handshake like any request, then opens a raw
 * connection to the peer, replays the handshake with the forwarding headers, and pipes bytes both ways;
 * the upstream's 101 (or refusal) reaches the client untouched. Connect failures retry on the next
 * peer; any socket error tears down both sides.
 */
export function createUpgradeHandler(
  deps: WebSocketProxyDeps,
): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  const { engine, options, trusted, plugins, logger } = deps;
  const server = options.serverTokens ? options.serverToken : null;

  async function handle(req: IncomingMessage, client: Duplex, head: Buffer): Promise<void> {
    client.on('error', () => client.destroy());
    const state = engine.current();
    if (state === null) return writeRawKongError(client, 404, KONG_MESSAGES.noRoute, server);
    const tlsSocket = req.socket as tls.TLSSocket;
    const scheme: 'http' | 'https' = tlsSocket.encrypted === true ? 'https' : 'http';
    const target = splitTarget(req.url ?? '/');
    const path = normalizePath(target.path);
    if (path === null) return writeRawKongError(client, 400, KONG_MESSAGES.badRequest, server);
    const query = target.query;
    const host = req.headers.host ?? '';
    const peerAddress = req.socket.remoteAddress ?? '';
    const isTrusted = trusted.trusts(peerAddress);
    const clientIp = realClientIp(req, isTrusted, options.realIpHeader) ?? peerAddress;
    const requestHost = host.split(':')[0] ?? '';
    const session = plugins?.begin(state, req, { scheme, clientIp, path, query, host: requestHost }) ?? null;
    const early = session === null ? null : await session.rewrite();
    if (early !== null)
      return writeRawKongError(client, early.status, String(early.body ?? early.status), server);
    const match = state.router.match({
      method: req.method ?? 'GET',
      host,
      path,
      headers: req.headers,
      sni: scheme === 'https' && typeof tlsSocket.servername === 'string' ? tlsSocket.servername : undefined,
      scheme,
    });
    if (match === null) return writeRawKongError(client, 404, KONG_MESSAGES.noRoute, server);
    if (!match.protocolAllowed) return writeRawKongError(client, 426, KONG_MESSAGES.useHttps, server);
    const plan = match.service === null ? undefined : state.plans.get(match.service.id);
    if (plan === undefined) return writeRawKongError(client, 503, KONG_MESSAGES.noService, server);
    const denied = session === null ? null : await session.access(match);
    if (denied !== null) return writeRawKongError(client, denied.status, String(denied.status), server);
    const balancer = plan.upstreamName === null ? null : (state.balancers.get(plan.upstreamName) ?? null);
    const tried: Peer[] = [];
    const pick = { clientIp, headers: req.headers, path, query, consumerId: null, tried };
    const preserveHost = match.route.preserve_host === true;

    const attempt = (n: number): void => {
      const peer = balancer === null ? plan.directPeer : balancer.pick(pick);
      if (peer === null) return writeRawKongError(client, 503, KONG_MESSAGES.noPeer, server);
      const upstreamHost = preserveHost ? host : (plan.hostHeader ?? `${peer.host}:${peer.port}`);
      const headers = buildUpstreamHeaders(req, {
        scheme,
        upstreamHost,
        requestHost,
        path,
        strippedPrefix: match.strippedPrefix,
        via: null,
        upgrade: true,
        trusted: isTrusted,
        realIp: clientIp,
      });
      const upstream = connectPeer(plan, peer);
      let connected = false;
      const connectTimer = setTimeout(
        () => upstream.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })),
        plan.connectTimeout,
      );
      upstream.once(plan.protocol === 'https' ? 'secureConnect' : 'connect', () => {
        connected = true;
        clearTimeout(connectTimer);
        let headText = `${req.method ?? 'GET'} ${match.upstreamPath}${query} HTTP/1.1\r\n`;
        for (let i = 0; i < headers.length; i += 2) headText += `${headers[i]!}: ${headers[i + 1]!}\r\n`;
        upstream.write(headText + '\r\n');
        if (head.length > 0) upstream.write(head);
        // Idle limit both ways, as nginx's proxy_read_timeout does on an upgraded connection.
        (upstream as net.Socket).setTimeout(plan.readTimeout, () => upstream.destroy());
        upstream.pipe(client);
        client.pipe(upstream);
        balancer?.report?.(peer, 'success');
      });
      upstream.on('error', (err) => {
        clearTimeout(connectTimer);
        if (connected) return client.destroy();
        balancer?.report?.(peer, (err as { code?: string }).code === 'ETIMEDOUT' ? 'timeout' : 'failure');
        tried.push(peer);
        if (n < plan.retries && !client.destroyed) return attempt(n + 1);
        const timedOut = (err as { code?: string }).code === 'ETIMEDOUT';
        writeRawKongError(
          client,
          timedOut ? 504 : 502,
          timedOut ? KONG_MESSAGES.timeout : KONG_MESSAGES.badGateway,
          server,
        );
      });
      upstream.on('close', () => {
        if (connected) client.destroy();
      });
      client.on('close', () => upstream.destroy());
    };
    attempt(0);
  }

  return (req, socket, head) => {
    handle(req, socket, head).catch((err: unknown) => {
      logger.error({ err: errorMessage(err), url: req.url }, 'websocket upgrade failed');
      writeRawKongError(socket, 502, KONG_MESSAGES.badGateway, server);
    });
  };
}
