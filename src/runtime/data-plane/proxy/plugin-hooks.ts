/**
 * The seam between the proxy and the plugin framework (`../plugins`, another area): the proxy drives
 * Kong's phases through a `PluginRunner` and never reads plugin internals. An adapter over the
 * framework's runner implements this; until one is wired, the proxy runs without plugins.
 */
import type { IncomingMessage } from 'node:http';
import type { ConfigState } from '../engine/types.js';
import type { MatchResult } from '../router/types.js';

/** A response produced by a plugin instead of the upstream's (kong.response.exit). */
export interface ShortCircuit {
  status: number;
  /** A string or Buffer is sent as is; any other value as JSON. Absent: `{"message": <status text>}`. */
  body?: unknown;
  headers?: Record<string, string | string[]>;
}

/** The upstream request as the access phase left it (request-transformer, auth plugins). */
export interface UpstreamRequestEdit {
  /**
   * The request's header map as plugins left it (lower-cased names): plugins edit the request's own
   * map in place, so the proxy builds the upstream headers from it instead of diffing a copy.
   */
  headers?: Readonly<Record<string, string | string[] | undefined>>;
  /** A plugin replaced the Host header: it then decides Host for every attempt. */
  hostSet?: boolean;
  /** A replacement method (request-transformer's http_method). */
  method?: string;
  path?: string;
  /** Query string without the leading `?`. */
  query?: string;
  /** A replacement body (the proxy then sends it with its length). */
  body?: Buffer;
}

/** What the log phase receives about the finished exchange. */
export interface ExchangeSummary {
  status: number;
  latencyMs: number;
  upstreamLatencyMs: number | null;
  proxyLatencyMs: number | null;
  peer: string | null;
  bytesSent: number;
  /** Request bytes read from the client: headers are not counted, the body is (Kong: ingress). */
  bytesReceived: number;
}

type Awaitable<T> = T | Promise<T>;

/** One request's pass through the plugin phases. Methods run in the order they are declared. */
export interface PluginSession {
  /** Global plugins before routing. */
  rewrite(): Awaitable<ShortCircuit | null>;
  /** After routing, with the plugins that apply to route/service/consumer. */
  access(match: MatchResult): Awaitable<ShortCircuit | null>;
  /** The consumer access authenticated (consistent-hashing on consumer), or null. */
  consumerId?(): string | null;
  /** The edits access decided, or null for none. */
  upstreamEdit(): UpstreamRequestEdit | null;
  /** Response headers (lower-cased names) before they are sent; mutate in place. */
  headerFilter(status: number, headers: Record<string, string | string[] | number | undefined>): void;
  /** Whether bodyFilter must see the body (then Content-Length is dropped). */
  readonly filtersBody: boolean;
  /** A response body chunk; `last` marks the end. Returns what to send. */
  bodyFilter(chunk: Buffer, last: boolean): Buffer;
  /** After the response went out; errors are logged, never sent. */
  log(summary: ExchangeSummary): void;
}

/** What the proxy already parsed about the request when it begins a session. */
export interface SessionInfo {
  scheme: 'http' | 'https';
  clientIp: string;
  /** Request path without the query string. */
  path: string;
  /** The query string with its leading `?`, or ''. */
  query: string;
  /** The Host header without its port. */
  host: string;
}

/** Produces sessions; returning null means no plugin can apply to this request (the fast path). */
export interface PluginRunner {
  begin(state: ConfigState, req: IncomingMessage, info: SessionInfo): PluginSession | null;
}
