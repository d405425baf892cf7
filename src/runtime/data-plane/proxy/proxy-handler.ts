import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../../../shared/logger.js';
import { errorMessage } from '../../../shared/errors.js';
import type { DataPlaneEngine } from '../engine/create-data-plane-engine.js';
import type { ConfigState, Peer, ServicePlan } from '../engine/types.js';
import { normalizePath } from '../router/normalize-path.js';
import type { MatchResult } from '../router/types.js';
import { buildUpstreamHeaders, realClientIp } from './forwarded-headers.js';
import { KONG_MESSAGES, sendKongError } from './kong-responses.js';
import type { PluginRunner, PluginSession, ShortCircuit } from './plugin-hooks.js';
import type { ProxyOptions } from './proxy-options.js';
import { BUFFERED_BODY_LIMIT, hasBody, limitedBodyStream, readBody } from './request-body.js';
import type { TrustedIps } from './trusted-ips.js';
import { UpstreamExchange } from './upstream-exchange.js';
import type { UpstreamPools } from './upstream-pools.js';

/** Where the proxy reports each finished exchange (the status API's metrics implement it). */
export interface ExchangeRecorder {
  record(
    service: string | null,
    route: string | null,
    status: number,
    latencyMs: number,
    upstreamLatencyMs: number | null,
  ): void;
}

/** What the handler is built from; everything per-config comes from `engine.current()`. */
export interface ProxyHandlerDeps {
  engine: DataPlaneEngine;
  options: ProxyOptions;
  trusted: TrustedIps;
  pools: UpstreamPools;
  recorder: ExchangeRecorder | null;
  plugins: PluginRunner | null;
  logger: Logger;
}

/** Splits the request target into path and query (`?…` kept); absolute-form targets lose the origin. */
/**
 * Request body bytes for the log phase (Prometheus ingress bandwidth): the declared Content-Length;
 * a chunked body counts 0, since counting it would mean wrapping every streamed body on the hot path.
 */
function requestBodyLength(req: IncomingMessage): number {
  const n = Number(req.headers['content-length']);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

export function splitTarget(url: string): { path: string; query: string } {
  let u = url;
  if (u.charCodeAt(0) !== 47) {
    const scheme = u.indexOf('://');
    const slash = scheme < 0 ? -1 : u.indexOf('/', scheme + 3);
    u = slash < 0 ? '/' : u.slice(slash);
  }
  const q = u.indexOf('?');
  return q < 0 ? { path: u, query: '' } : { path: u.slice(0, q), query: u.slice(q) };
}

function hostWithoutPort(host: string): string {
  if (host.charCodeAt(0) === 91) return host.slice(0, host.indexOf(']') + 1);
  const c = host.indexOf(':');
  return c < 0 ? host : host.slice(0, c);
}

function sendShortCircuit(res: ServerResponse, sc: ShortCircuit, server: string | null): void {
  if (sc.body === undefined) return sendKongError(res, sc.status, String(sc.status), server);
  const isRaw = typeof sc.body === 'string' || Buffer.isBuffer(sc.body);
  const body = isRaw ? Buffer.from(sc.body as string | Buffer) : Buffer.from(JSON.stringify(sc.body));
  const headers: Record<string, string | string[] | number> = { ...(sc.headers ?? {}) };
  if (!isRaw && headers['content-type'] === undefined)
    headers['content-type'] = 'application/json; charset=utf-8';
  headers['content-length'] = body.length;
  if (server !== null) headers.server = server;
  res.writeHead(sc.status, headers);
  res.end(body);
}

/** One request's facts, gathered before routing and carried through the (possibly async) stages. */
interface Pending {
  req: IncomingMessage;
  res: ServerResponse;
  state: ConfigState;
  session: PluginSession | null;
  started: number;
  scheme: 'http' | 'https';
  clientIp: string;
  trusted: boolean;
  path: string;
  query: string;
  host: string;
  length: number;
}

/**
 * The request handler of proxy_listen: routes with the state captured at the start of the request
 * (a config swap never changes a request mid-flight), runs the plugin phases, and hands the request to
 * an UpstreamExchange. Stages run synchronously unless a plugin phase or a body read is asynchronous,
 * so a plain request costs no promise. Every failure ends in one of Kong's responses; nothing throws
 * out of it.
 */
export function createProxyHandler(
  deps: ProxyHandlerDeps,
): (req: IncomingMessage, res: ServerResponse) => void {
  const { engine, options, trusted, pools, recorder, plugins, logger } = deps;
  const server = options.serverTokens ? options.serverToken : null;
  const via = options.serverTokens ? `1.1 ${options.serverToken}` : null;

  function finish(status: number, match: MatchResult | null, started: number): void {
    if (recorder === null) return;
    const service = match?.service ?? null;
    recorder.record(
      service === null ? null : (service.name ?? service.id),
      match === null ? null : (match.route.name ?? match.route.id),
      status,
      performance.now() - started,
      null,
    );
  }

  function fail(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    // A client that hung up mid-body is routine (nginx logs 499), not a proxy failure.
    if (req.destroyed || res.destroyed) {
      logger.debug({ err: errorMessage(err), url: req.url }, 'client closed the request');
      return;
    }
    logger.error({ err: errorMessage(err), url: req.url }, 'proxy request failed');
    if (!res.writableEnded) sendKongError(res, 502, KONG_MESSAGES.badGateway, server);
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    const url = req.url ?? '/';
    if (url.length > options.maxUriLength) {
      sendKongError(res, 414, KONG_MESSAGES.uriTooLong, server);
      return finish(414, null, started);
    }
    const state: ConfigState | null = engine.current();
    if (state === null) {
      sendKongError(res, 404, KONG_MESSAGES.noRoute, server);
      return finish(404, null, started);
    }
    const cl = req.headers['content-length'];
    const length = cl === undefined ? -1 : Number(cl);
    if (options.maxBodySize > 0 && length > options.maxBodySize) {
      sendKongError(res, 413, KONG_MESSAGES.bodyTooLarge, server);
      return finish(413, null, started);
    }
    const socket = req.socket as TLSSocket;
    const scheme: 'http' | 'https' = socket.encrypted === true ? 'https' : 'http';
    const peerAddress = socket.remoteAddress ?? '';
    const isTrusted = trusted.trusts(peerAddress);
    const clientIp = realClientIp(req, isTrusted, options.realIpHeader) ?? peerAddress;
    const target = splitTarget(url);
    // Kong matches (and plugins see) the normalised path; a malformed escape is a bad request.
    const path = normalizePath(target.path);
    if (path === null) {
      sendKongError(res, 400, KONG_MESSAGES.badRequest, server);
      return finish(400, null, started);
    }
    const query = target.query;
    const host = req.headers.host ?? '';
    const p: Pending = {
      req,
      res,
      state,
      session: null,
      started,
      scheme,
      clientIp,
      trusted: isTrusted,
      path,
      query,
      host,
      length,
    };
    if (plugins !== null) {
      const session = plugins.begin(state, req, {
        scheme,
        clientIp,
        path,
        query,
        host: hostWithoutPort(host),
      });
      if (session !== null) {
        p.session = session;
        const sc = session.rewrite();
        if (sc instanceof Promise) {
          sc.then((r) => (r !== null ? exitWith(res, session, r, null, started) : route(p))).catch(
            (err: unknown) => fail(req, res, err),
          );
          return;
        }
        if (sc !== null) return exitWith(res, session, sc, null, started);
      }
    }
    route(p);
  }

  function route(p: Pending): void {
    const { req, res, state, session, started } = p;
    // Rewrite-phase plugins may have changed Host (Kong routes on the rewritten request).
    const host = session === null ? p.host : (req.headers.host ?? '');
    p.host = host;
    const socket = req.socket as TLSSocket;
    const match = state.router.match({
      method: req.method ?? 'GET',
      host,
      path: p.path,
      headers: req.headers,
      sni: p.scheme === 'https' && typeof socket.servername === 'string' ? socket.servername : undefined,
      scheme: p.scheme,
    });
    if (match === null) {
      sendKongError(res, 404, KONG_MESSAGES.noRoute, server);
      return finish(404, null, started);
    }
    if (!match.protocolAllowed) return redirectToHttps(res, match, host, req.url ?? '/', started);
    const plan: ServicePlan | undefined =
      match.service === null ? undefined : state.plans.get(match.service.id);
    if (plan === undefined) {
      sendKongError(res, 503, KONG_MESSAGES.noService, server);
      return finish(503, match, started);
    }
    if (session !== null) {
      const sc = session.access(match);
      if (sc instanceof Promise) {
        sc.then((r) =>
          r !== null ? exitWith(res, session, r, match, started) : forward(p, match, plan),
        ).catch((err: unknown) => fail(req, res, err));
        return;
      }
      if (sc !== null) return exitWith(res, session, sc, match, started);
    }
    forward(p, match, plan);
  }

  function forward(p: Pending, match: MatchResult, plan: ServicePlan): void {
    const { req, session } = p;
    let preserveHost = match.route.preserve_host === true;
    let target = match.upstreamPath + p.query;
    let body: Buffer | Readable | null = null;
    const edit = session?.upstreamEdit() ?? null;
    const method = edit?.method ?? req.method ?? 'GET';
    let upstreamHost = preserveHost ? p.host : plan.directPeer.host;
    if (edit !== null) {
      // A plugin that sets Host decides it for every attempt.
      if (edit.hostSet === true) {
        preserveHost = true;
        upstreamHost = String(edit.headers?.host ?? '');
      }
      if (edit.path !== undefined || edit.query !== undefined) {
        target =
          (edit.path ?? match.upstreamPath) +
          (edit.query !== undefined ? (edit.query === '' ? '' : '?' + edit.query) : p.query);
      }
      if (edit.body !== undefined) body = edit.body;
    }
    const headers = buildUpstreamHeaders(req, {
      scheme: p.scheme,
      upstreamHost,
      requestHost: hostWithoutPort(p.host),
      path: p.path,
      strippedPrefix: match.strippedPrefix,
      via,
      upgrade: false,
      trusted: p.trusted,
      realIp: p.clientIp,
      ...(edit?.headers !== undefined ? { source: edit.headers } : {}),
    });
    if (body === null && hasBody(req)) {
      if (p.length >= 0 && p.length <= BUFFERED_BODY_LIMIT) {
        readBody(req, p.length)
          .then((b) => exchange(p, match, plan, headers, method, target, preserveHost, b))
          .catch((err: unknown) => fail(req, p.res, err));
        return;
      }
      body = limitedBodyStream(req, options.maxBodySize, plan.writeTimeout);
    }
    exchange(p, match, plan, headers, method, target, preserveHost, body);
  }

  function exchange(
    p: Pending,
    match: MatchResult,
    plan: ServicePlan,
    headers: string[],
    method: string,
    target: string,
    preserveHost: boolean,
    body: Buffer | Readable | null,
  ): void {
    const { req, res, session, started, state } = p;
    if (Buffer.isBuffer(body)) setHeader(headers, 'content-length', String(body.length));
    const balancer = plan.upstreamName === null ? null : (state.balancers.get(plan.upstreamName) ?? null);
    new UpstreamExchange({
      req,
      res,
      plan,
      balancer,
      pick: {
        clientIp: p.clientIp,
        headers: req.headers,
        path: p.path,
        query: p.query,
        consumerId: session?.consumerId?.() ?? null,
        uriCaptures: match.captures?.named ?? null,
        tried: [],
      },
      pools,
      method,
      target,
      headers,
      hostIndex: valueIndex(headers, 'host'),
      preserveHost,
      body,
      session,
      via,
      server,
      latencyTokens: options.latencyTokens,
      startedAt: started,
      done(status: number, peer: Peer | null, upstreamLatency: number | null) {
        const now = performance.now();
        recorder?.record(
          plan.service.name ?? plan.service.id,
          match.route.name ?? match.route.id,
          status,
          now - started,
          upstreamLatency,
        );
        session?.log({
          status,
          latencyMs: now - started,
          upstreamLatencyMs: upstreamLatency,
          proxyLatencyMs: null,
          peer: peer === null ? null : `${peer.host}:${peer.port}`,
          bytesSent: res.socket?.bytesWritten ?? 0,
          bytesReceived: requestBodyLength(req),
        });
      },
    }).start();
  }

  /** A plugin's response: header_filter and log still run on it, as in Kong. */
  function exitWith(
    res: ServerResponse,
    session: PluginSession,
    sc: ShortCircuit,
    match: MatchResult | null,
    started: number,
  ): void {
    const headers: Record<string, string | string[] | number | undefined> = { ...(sc.headers ?? {}) };
    session.headerFilter(sc.status, headers);
    sendShortCircuit(res, { ...sc, headers: headers as Record<string, string | string[]> }, server);
    finish(sc.status, match, started);
    session.log({
      status: sc.status,
      latencyMs: performance.now() - started,
      upstreamLatencyMs: null,
      proxyLatencyMs: null,
      peer: null,
      bytesSent: 0,
      bytesReceived: requestBodyLength(res.req),
    });
  }

  function redirectToHttps(
    res: ServerResponse,
    match: MatchResult,
    host: string,
    url: string,
    started: number,
  ): void {
    const code = match.route.https_redirect_status_code ?? 426;
    if (code === 426) sendKongError(res, 426, KONG_MESSAGES.useHttps, server);
    else {
      res.writeHead(code, { location: `https://${hostWithoutPort(host)}${url}`, 'content-length': 0 });
      res.end();
    }
    finish(code, match, started);
  }

  return (req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      fail(req, res, err);
    }
  };
}

function valueIndex(headers: string[], name: string): number {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return i + 1;
  headers.push(name, '');
  return headers.length - 1;
}

function setHeader(headers: string[], name: string, value: string): void {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() === name) {
      headers[i + 1] = value;
      return;
    }
  }
  headers.push(name, value);
}
