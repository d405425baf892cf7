import type { IncomingMessage } from 'node:http';
import type { Logger } from '../../../shared/logger.js';
import { errorMessage } from '../../../shared/errors.js';
import type { ConfigState } from '../engine/types.js';
import { RequestContext, type HeaderMap } from '../plugins/context.js';
import type { PluginIndex } from '../plugins/plugin-index.js';
import { onPluginFailure, runPhase } from '../plugins/runner.js';
import type { MatchResult } from '../router/types.js';
import type {
  ExchangeSummary,
  PluginRunner,
  PluginSession,
  SessionInfo,
  ShortCircuit,
  UpstreamRequestEdit,
} from './plugin-hooks.js';
import { readBody } from './request-body.js';

function shortCircuitOf(ctx: RequestContext): ShortCircuit | null {
  const e = ctx.exited;
  if (e === null) return null;
  return { status: e.status, body: e.body ?? undefined, headers: e.headers };
}

/**
 * One request's pass through the plugin framework (`../plugins`). The RequestContext's header map is
 * the request's own (`req.headers`): plugins edit it in place (rewrite-phase edits then also route,
 * as in Kong) and the proxy builds the upstream headers from it, so nothing is copied or diffed.
 */
class FrameworkSession implements PluginSession {
  private bodyChunks: Buffer[] | null = null;
  private buffered: Buffer | null = null;

  constructor(
    private readonly index: PluginIndex,
    private readonly ctx: RequestContext,
    private readonly originalHost: string | string[] | undefined,
  ) {}

  // Synchronous phases answer synchronously, so the proxy does not pay a microtask per phase.
  rewrite(): ShortCircuit | null | Promise<ShortCircuit | null> {
    const r = runPhase(this.index, 'rewrite', this.ctx);
    return r === undefined ? shortCircuitOf(this.ctx) : r.then(() => shortCircuitOf(this.ctx));
  }

  access(match: MatchResult): ShortCircuit | null | Promise<ShortCircuit | null> {
    this.ctx.route = match.route as RequestContext['route'];
    this.ctx.service = match.service as RequestContext['service'];
    this.ctx.uriCaptures = match.captures;
    const r = runPhase(this.index, 'access', this.ctx);
    return r === undefined ? shortCircuitOf(this.ctx) : r.then(() => shortCircuitOf(this.ctx));
  }

  /** Records a body a plugin buffered, so the proxy forwards it instead of the drained stream. */
  setBuffered(body: Buffer | null): void {
    this.buffered = body;
  }

  consumerId(): string | null {
    return this.ctx.consumer?.id ?? null;
  }

  upstreamEdit(): UpstreamRequestEdit {
    const up = this.ctx.upstream;
    const body = up.body ?? this.buffered;
    const headers = this.ctx.request.headers;
    const edit: UpstreamRequestEdit = { headers, hostSet: headers.host !== this.originalHost };
    if (up.method !== null) edit.method = up.method;
    if (up.path !== null) edit.path = up.path;
    if (up.query !== null) edit.query = up.query;
    if (body !== null) edit.body = body;
    return edit;
  }

  headerFilter(status: number, headers: Record<string, string | string[] | number | undefined>): void {
    this.ctx.timings.upstreamHeaders ??= performance.now();
    this.ctx.response = {
      status,
      headers: headers as HeaderMap,
      body: null,
      source: this.ctx.exited ? 'exit' : 'service',
    };
    // header_filter handlers are synchronous in practice; a promise here cannot hold the headers back.
    void runPhase(this.index, 'header_filter', this.ctx);
    if (this.ctx.wantsResponseBody) this.bodyChunks = [];
  }

  get filtersBody(): boolean {
    return this.bodyChunks !== null;
  }

  bodyFilter(chunk: Buffer, last: boolean): Buffer {
    if (this.bodyChunks === null) return chunk;
    if (chunk.length > 0) this.bodyChunks.push(chunk);
    if (!last) return Buffer.alloc(0);
    const response = this.ctx.response!;
    response.body = Buffer.concat(this.bodyChunks);
    void runPhase(this.index, 'body_filter', this.ctx);
    return response.body ?? Buffer.alloc(0);
  }

  log(summary: ExchangeSummary): void {
    const t = this.ctx.timings;
    t.end = performance.now();
    if (summary.upstreamLatencyMs !== null && t.upstreamStart === null)
      t.upstreamStart = t.end - summary.latencyMs;
    this.ctx.upstreamTarget = summary.peer;
    this.ctx.bytesOut = summary.bytesSent;
    this.ctx.bytesIn = summary.bytesReceived;
    if (this.ctx.response === null)
      this.ctx.response = { status: summary.status, headers: {}, body: null, source: 'error' };
    const r = runPhase(this.index, 'log', this.ctx);
    if (r !== undefined) r.catch(() => undefined);
  }
}

/**
 * Adapts the plugin framework (RequestContext + runPhase over the config's PluginIndex) to the proxy's
 * PluginRunner seam. Requests under a config without plugin instances skip it entirely.
 */
export function createFrameworkPluginRunner(logger: Logger): PluginRunner {
  onPluginFailure((err, plugin, phase) =>
    logger.error({ plugin, phase, err: errorMessage(err) }, 'plugin failed'),
  );
  return {
    begin(state: ConfigState, req: IncomingMessage, info: SessionInfo): PluginSession | null {
      const index = state.plugins as PluginIndex | null;
      if (index === null || (state.config.plugins?.length ?? 0) === 0) return null;
      const headers = req.headers as HeaderMap;
      let session: FrameworkSession | null = null;
      const ctx = new RequestContext({
        method: req.method ?? 'GET',
        path: info.path,
        rawQuery: info.query === '' ? '' : info.query.slice(1),
        headers,
        clientIp: info.clientIp,
        scheme: info.scheme,
        host: info.host,
        port: req.socket.localPort ?? 0,
        readBody: async (limit) => {
          const cl = Number(req.headers['content-length'] ?? -1);
          if (limit !== undefined && cl > limit) return null;
          const body = await readBody(req, cl);
          session?.setBuffered(body);
          return limit !== undefined && body.length > limit ? null : body;
        },
      });
      session = new FrameworkSession(index, ctx, headers.host);
      return session;
    },
  };
}
