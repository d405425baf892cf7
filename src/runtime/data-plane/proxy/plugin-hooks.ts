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

/** Changes to the upstream request decided in the access phase (request-transformer, auth plugins). */
export interface UpstreamRequestEdit {
  /** Lower-cased header name → new value, or null to remove it. */
  headers?: ReadonlyMap<string, string | string[] | null>;
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

/** Produces sessions; returning null means no plugin can apply to this request (the fast path). */
export interface PluginRunner {
  begin(
    state: ConfigState,
    req: IncomingMessage,
    info: { scheme: 'http' | 'https'; clientIp: string },
  ): PluginSession | null;
}
