/**
 * The per-request state the proxy creates and plugins read and modify (Kong's `kong.request`,
 * `kong.service.request`, `kong.response`, `kong.client`, `kong.ctx.shared` in one object).
 *
 * Header semantics follow nginx/Kong: `request.headers` is the one mutable, lower-cased header map;
 * what a plugin sets or deletes there is what the upstream receives (Kong's
 * `kong.service.request.set_header` edits the same table `kong.request.get_header` reads).
 * Upstream path/query/method/body overrides are null until a plugin sets them; the proxy uses its own
 * values (router's upstream path, downstream query/method/body stream) for anything left null.
 */
import { parse as parseQuery } from 'node:querystring';
import type { PluginChain } from './plugin-index.js';

/** A config entity (route, service, consumer, credential): an id plus Kong's fields. */
export type Entity = { id: string } & Record<string, unknown>;

/** A lower-cased header map (Node's IncomingHttpHeaders shape). */
export type HeaderMap = Record<string, string | string[] | undefined>;

/** A parsed query string (repeated keys become arrays). */
export type QueryMap = Record<string, string | string[] | undefined>;

/** Protocol bits for plugin `protocols` masks. */
export const PROTOCOL_BITS: Readonly<Record<string, number>> = Object.freeze({
  http: 1,
  https: 2,
  grpc: 4,
  grpcs: 8,
  ws: 16,
  wss: 32,
  tcp: 64,
  tls: 128,
  tls_passthrough: 256,
  udp: 512,
});

/** The bit of one protocol name (0 for unknown names, which then match nothing). */
export function protocolBit(protocol: string): number {
  return PROTOCOL_BITS[protocol] ?? 0;
}

/** What the proxy knows about the downstream request when it creates the context. */
export interface DownstreamInit {
  method: string;
  /** The path without the query string, as received (not normalised by plugins). */
  path: string;
  /** The query string without '?', '' when none. */
  rawQuery: string;
  headers: HeaderMap;
  clientIp: string;
  /** 'http' | 'https' (or 'ws' | 'wss' for upgrades): the plugin protocol the request counts as. */
  scheme: string;
  host: string;
  port: number;
  /**
   * Buffers the request body (at most `limit` bytes when given). Resolves null when the body is larger
   * than `limit`; the proxy then forwards the buffered body instead of streaming. Absent for bodiless
   * contexts (tests, certificate phase).
   */
  readBody?: (limit?: number) => Promise<Buffer | null>;
  /** performance.now() at request start; defaults to now. */
  startedAt?: number;
}

/** The downstream request as plugins see it. */
export interface DownstreamRequest {
  readonly method: string;
  readonly path: string;
  readonly rawQuery: string;
  /** Mutable: edits here go upstream. */
  headers: HeaderMap;
  readonly clientIp: string;
  readonly scheme: string;
  readonly host: string;
  readonly port: number;
}

/** Upstream request overrides set by plugins; null = the proxy's own value. */
export interface UpstreamOverrides {
  path: string | null;
  /** Raw query string without '?'. */
  query: string | null;
  method: string | null;
  body: Buffer | null;
}

/** The response as seen from header_filter on (upstream's or an exit's). */
export interface ResponseState {
  status: number;
  /** Mutable, lower-cased: edits here go downstream. */
  headers: HeaderMap;
  /** The whole body, present in body_filter only when a plugin called `ctx.bufferResponseBody()`. */
  body: Buffer | null;
  /** Where the response came from: the upstream, or an exit (plugin or the proxy's own error). */
  source: 'service' | 'exit' | 'error';
}

/** A short-circuit response (Kong's `kong.response.exit`). */
export interface ExitResponse {
  status: number;
  body: Buffer | null;
  headers: Record<string, string>;
}

/** Time points (performance.now() ms) the proxy fills in; prometheus and latency headers read them. */
export interface RequestTimings {
  start: number;
  /** Upstream request sent (null when no upstream was contacted). */
  upstreamStart: number | null;
  /** Upstream response headers received. */
  upstreamHeaders: number | null;
  /** Response finished. */
  end: number | null;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const EMPTY = Buffer.alloc(0);

/** Per-request state for one proxied request; created by the proxy, passed to every phase. */
export class RequestContext {
  /** The downstream request (headers mutable). */
  readonly request: DownstreamRequest;
  /** Plugin protocol bit of this request (PROTOCOL_BITS[scheme]). */
  readonly protocol: number;
  /** Matched route and service (null before routing, in `certificate`/`rewrite`, or when unmatched). */
  route: Entity | null = null;
  service: Entity | null = null;
  /** Regex path captures of the matched route (Kong's `uri_captures`): the proxy sets them with the route. */
  uriCaptures: { unnamed: readonly string[]; named: Readonly<Record<string, string>> } | null = null;
  /** Authenticated consumer and credential (Kong's `kong.client.authenticate`). */
  consumer: Entity | null = null;
  credential: Entity | null = null;
  /** ACL groups of the authenticated consumer, once an auth/acl plugin looked them up. */
  groups: readonly string[] | null = null;
  /** Upstream overrides; null fields mean "the proxy's own value". */
  readonly upstream: UpstreamOverrides = { path: null, query: null, method: null, body: null };
  /** The response, set by the proxy before header_filter. */
  response: ResponseState | null = null;
  /** Set by exit(): the proxy sends this instead of proxying (or instead of the upstream response). */
  exited: ExitResponse | null = null;
  /** The chain the runner resolved in access (global until then); later phases run it. */
  chain: PluginChain | null = null;
  /** The upstream target actually used ("host:port"), for logs and metrics. */
  upstreamTarget: string | null = null;
  /** Bytes received from the client and sent to it (the proxy fills them before `log`). */
  bytesIn = 0;
  bytesOut = 0;
  readonly timings: RequestTimings;
  private readonly bodyReader: ((limit?: number) => Promise<Buffer | null>) | undefined;
  private queryCache: QueryMap | null = null;
  private sharedMap: Map<string, unknown> | null = null;
  private wantBody = false;

  constructor(init: DownstreamInit) {
    this.request = {
      method: init.method,
      path: init.path,
      rawQuery: init.rawQuery,
      headers: init.headers,
      clientIp: init.clientIp,
      scheme: init.scheme,
      host: init.host,
      port: init.port,
    };
    this.protocol = protocolBit(init.scheme);
    this.bodyReader = init.readBody;
    this.timings = {
      start: init.startedAt ?? performance.now(),
      upstreamStart: null,
      upstreamHeaders: null,
      end: null,
    };
  }

  /** The downstream query string, parsed once on first use. */
  query(): QueryMap {
    if (this.queryCache === null) this.queryCache = parseQuery(this.request.rawQuery) as QueryMap;
    return this.queryCache;
  }

  /** First value of a downstream header (lower-case name). */
  header(name: string): string | undefined {
    const v = this.request.headers[name];
    return Array.isArray(v) ? v[0] : v;
  }

  /** Buffers the downstream body; null when larger than `limit`; an empty buffer when none can be read. */
  readBody(limit?: number): Promise<Buffer | null> {
    return this.bodyReader === undefined ? Promise.resolve(Buffer.alloc(0)) : this.bodyReader(limit);
  }

  /** Whether the proxy gave this context a body reader. */
  get hasBody(): boolean {
    return this.bodyReader !== undefined;
  }

  /** A map shared by all plugins of this request (Kong's `kong.ctx.shared`), created on first use. */
  get shared(): Map<string, unknown> {
    if (this.sharedMap === null) this.sharedMap = new Map();
    return this.sharedMap;
  }

  /** Reads the shared map without creating it (header_filter/log paths of plugins that may not have run). */
  peekShared(key: string): unknown {
    return this.sharedMap === null ? undefined : this.sharedMap.get(key);
  }

  /** Sets the authenticated consumer and credential (Kong's `kong.client.authenticate`). */
  authenticate(consumer: Entity | null, credential: Entity | null): void {
    this.consumer = consumer;
    this.credential = credential;
    this.groups = null;
  }

  /**
   * Short-circuits the request (Kong's `kong.response.exit`): an object body is sent as JSON, a
   * string or buffer as is, no body as an empty one. The runner stops the current phase; later phases still run on the exit.
   */
  exit(status: number, body?: unknown, headers?: Record<string, string>): void {
    // No body means an empty one (Kong's exit sends no default message; kong.response.error does).
    let buf: Buffer = EMPTY;
    const h: Record<string, string> = {};
    if (headers !== undefined) for (const k of Object.keys(headers)) h[k.toLowerCase()] = headers[k]!;
    if (Buffer.isBuffer(body)) buf = body;
    else if (typeof body === 'string') buf = Buffer.from(body);
    else if (body !== undefined && body !== null) {
      buf = Buffer.from(JSON.stringify(body));
      if (h['content-type'] === undefined) h['content-type'] = JSON_TYPE;
    }
    this.exited = { status, body: buf, headers: h };
  }

  /** Replaces the body sent upstream, keeping Content-Length right (chunked framing is dropped). */
  setUpstreamBody(body: Buffer): void {
    this.upstream.body = body;
    this.request.headers['content-length'] = String(body.length);
    delete this.request.headers['transfer-encoding'];
  }

  /**
   * Asks the proxy to buffer the whole response body so body_filter sees it in `response.body` (called
   * from header_filter; without a call the body streams and body_filter does not run).
   */
  bufferResponseBody(): void {
    this.wantBody = true;
  }

  /** Whether some plugin asked for the response body (read by the proxy after header_filter). */
  get wantsResponseBody(): boolean {
    return this.wantBody;
  }
}
