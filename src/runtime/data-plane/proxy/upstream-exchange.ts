import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Balancer, Peer, PickContext, ServicePlan } from '../engine/types.js';
import { KONG_MESSAGES, sendKongError } from './kong-responses.js';
import type { PluginSession } from './plugin-hooks.js';
import type { UpstreamPools } from './upstream-pools.js';

const RESPONSE_HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
];
const CONNECT_ERRORS = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TIMEOUT_ERRORS = new Set([
  'HG_ERR_WRITE_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** Everything one upstream exchange needs; built by the proxy handler once per request. */
export interface ExchangeInput {
  req: IncomingMessage;
  res: ServerResponse;
  plan: ServicePlan;
  balancer: Balancer | null;
  pick: PickContext;
  pools: UpstreamPools;
  method: string;
  /** Path plus query string, as sent upstream. */
  target: string;
  /** Flat header list; `hostIndex` is where the Host value sits, rewritten per peer unless preserved. */
  headers: string[];
  hostIndex: number;
  preserveHost: boolean;
  /** A replayable body (buffered or none) allows retries after the request was sent. */
  body: Buffer | Readable | null;
  session: PluginSession | null;
  via: string | null;
  server: string | null;
  latencyTokens: boolean;
  startedAt: number;
  /** Called once with the final status (ours or the upstream's) and timings. */
  done(status: number, peer: Peer | null, upstreamLatency: number | null, proxyLatency: number | null): void;
}

function errorCode(err: unknown): string {
  const e = err as { code?: string; cause?: { code?: string } };
  return e.code ?? e.cause?.code ?? '';
}

/**
 * Sends the request to a peer chosen by the balancer (or the service's host), streams the response
 * back, and on a failure before any response byte retries on the next peer up to `service.retries`
 * times (connect failures always; timeouts and resets only for idempotent, replayable requests, as
 * nginx's proxy_next_upstream does). Final failures map to Kong's 502/503/504.
 */
export class UpstreamExchange implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private peer: Peer | null = null;
  /** The peer of the attempt in flight, until the balancer is told it ended (least-connections). */
  private active: Peer | null = null;
  private readonly tried: Peer[] = [];
  private attempts = 0;
  private sentAt = 0;
  private upstreamLatency: number | null = null;
  private responded = false;
  private finished = false;
  private readonly onDrain = (): void => this.controller?.resume();
  private readonly onClientClose = (): void => {
    if (this.finished) return;
    this.finished = true;
    this.controller?.abort(new Error('client closed the connection'));
    this.release();
    this.x.done(499, this.peer, this.upstreamLatency, null);
  };

  constructor(private readonly x: ExchangeInput) {
    // `on` rather than `once`: the response closes once, and once() allocates a wrapper per request.
    x.res.on('close', this.onClientClose);
  }

  /** Starts the first attempt. */
  start(): void {
    this.attempt();
  }

  private attempt(): void {
    const x = this.x;
    this.attempts++;
    let peer: Peer | null;
    if (x.balancer === null) peer = x.plan.directPeer;
    else {
      (x.pick as { tried: readonly Peer[] }).tried = this.tried;
      peer = x.balancer.pick(x.pick);
    }
    if (peer === null) return this.fail(503, KONG_MESSAGES.noPeer);
    this.peer = peer;
    this.active = peer;
    if (!x.preserveHost) {
      const defaultPort = x.plan.protocol === 'https' ? 443 : 80;
      x.headers[x.hostIndex] =
        x.plan.hostHeader ?? (peer.port === defaultPort ? peer.host : `${peer.host}:${peer.port}`);
    }
    this.sentAt = performance.now();
    x.pools.get(x.plan, peer).dispatch(
      {
        path: x.target,
        method: x.method as Dispatcher.HttpMethod,
        headers: x.headers,
        body: x.body,
        headersTimeout: x.plan.readTimeout,
        bodyTimeout: x.plan.readTimeout,
        blocking: false,
      },
      this,
    );
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.finished) controller.abort(new Error('client closed the connection'));
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    status: number,
    headers: Record<string, string | string[] | number | undefined>,
  ): void {
    if (status < 200) return;
    const x = this.x;
    this.responded = true;
    this.upstreamLatency = Math.round(performance.now() - this.sentAt);
    const named = headers.connection;
    // Headers the upstream's Connection names are hop-by-hop too (RFC 9110 7.6.1); the common values
    // (keep-alive, close) name none, so the split is paid only for the rare custom token.
    if (typeof named === 'string' && named !== 'keep-alive' && named !== 'close') {
      for (const token of named.split(',')) {
        const h = token.trim().toLowerCase();
        if (h !== '' && headers[h] !== undefined) delete headers[h];
      }
    }
    for (let i = 0; i < RESPONSE_HOP_BY_HOP.length; i++) {
      const h = RESPONSE_HOP_BY_HOP[i]!;
      if (headers[h] !== undefined) delete headers[h];
    }
    if (x.via !== null) headers.via = headers.via === undefined ? x.via : `${String(headers.via)}, ${x.via}`;
    if (x.latencyTokens) {
      headers['x-hybridgate-upstream-latency'] = String(this.upstreamLatency);
      headers['x-hybridgate-proxy-latency'] = String(Math.round(this.sentAt - x.startedAt));
    }
    if (x.session !== null) {
      x.session.headerFilter(status, headers);
      if (x.session.filtersBody) delete headers['content-length'];
    }
    this.report(status >= 500 ? 'failure' : 'success', status);
    const cookie = x.pick.setCookie;
    if (cookie) {
      const prior = headers['set-cookie'];
      headers['set-cookie'] =
        prior === undefined ? cookie : [...(Array.isArray(prior) ? prior : [String(prior)]), cookie];
    }
    if (x.res.destroyed) return;
    try {
      x.res.writeHead(status, headers as Record<string, string | string[]>);
    } catch {
      // Node refuses header values with control characters; such a response is invalid: Kong's 502.
      this.responded = false;
      this.finished = true;
      this.controller?.abort(new Error('invalid upstream response headers'));
      sendKongError(x.res, 502, KONG_MESSAGES.badGateway, x.server);
      x.done(502, this.peer, this.upstreamLatency, null);
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const res = this.x.res;
    const out = this.x.session?.filtersBody === true ? this.x.session.bodyFilter(chunk, false) : chunk;
    if (out.length > 0 && !res.write(out)) {
      controller.pause();
      res.once('drain', this.onDrain);
    }
  }

  onResponseEnd(): void {
    const x = this.x;
    if (x.session?.filtersBody === true) {
      const tail = x.session.bodyFilter(Buffer.alloc(0), true);
      if (tail.length > 0) x.res.write(tail);
    }
    this.finished = true;
    this.release();
    x.res.end();
    x.done(x.res.statusCode, this.peer, this.upstreamLatency, Math.round(this.sentAt - x.startedAt));
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.release();
    if (this.finished) return;
    const code = errorCode(err);
    const timeout = TIMEOUT_ERRORS.has(code);
    this.report(timeout ? 'timeout' : 'failure');
    if (this.responded) {
      // Mid-body failure: the status line is out, so the only honest signal left is a cut connection.
      this.finished = true;
      this.x.res.destroy();
      this.x.done(this.x.res.statusCode, this.peer, this.upstreamLatency, null);
      return;
    }
    const replayable = this.x.body === null || Buffer.isBuffer(this.x.body);
    // A streamed body cannot be sent twice; connect failures are safe to retry for any method, other
    // failures only for idempotent ones (the request may have reached the upstream).
    const retry =
      replayable &&
      this.attempts <= this.x.plan.retries &&
      (CONNECT_ERRORS.has(code) || IDEMPOTENT.has(this.x.method));
    if (retry) {
      if (this.peer !== null) this.tried.push(this.peer);
      this.attempt();
      return;
    }
    if (code === 'HG_ERR_BODY_TOO_LARGE') this.fail(413, KONG_MESSAGES.bodyTooLarge);
    else if (timeout) this.fail(504, KONG_MESSAGES.timeout);
    else this.fail(502, KONG_MESSAGES.badGateway);
  }

  private release(): void {
    if (this.active !== null) {
      this.x.balancer?.release?.(this.active);
      this.active = null;
    }
  }

  private report(outcome: 'success' | 'failure' | 'timeout', status?: number): void {
    if (this.peer !== null && this.x.balancer?.report !== undefined)
      this.x.balancer.report(this.peer, outcome, status);
  }

  private fail(status: number, message: string): void {
    if (this.finished) return;
    this.finished = true;
    sendKongError(this.x.res, status, message, this.x.server);
    this.x.done(status, this.peer, null, null);
  }
}
