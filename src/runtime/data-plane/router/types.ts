/**
 * The shapes the router reads and produces. Route and service fields are Kong's names; only the fields
 * routing needs are listed, so the router accepts the validated entities of the declarative loader
 * (which carry more fields) without depending on their schemas.
 */

/** A route as the router reads it (Kong's field names; FKs as `{ id }`). */
export interface RouterRoute {
  id: string;
  name?: string | null;
  protocols?: readonly string[] | null;
  methods?: readonly string[] | null;
  hosts?: readonly string[] | null;
  paths?: readonly string[] | null;
  headers?: Readonly<Record<string, readonly string[]>> | null;
  snis?: readonly string[] | null;
  regex_priority?: number | null;
  strip_path?: boolean | null;
  preserve_host?: boolean | null;
  path_handling?: 'v0' | 'v1' | null;
  https_redirect_status_code?: number | null;
  created_at?: number | null;
  service?: { id: string } | null;
}

/** A service as the router reads it. */
export interface RouterService {
  id: string;
  name?: string | null;
  protocol?: string | null;
  host: string;
  port?: number | null;
  path?: string | null;
  enabled?: boolean | null;
}

/** What the router matches against; `host` is the Host header as received (port included if sent). */
export interface MatchRequest {
  method: string;
  host: string;
  path: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  sni: string | undefined;
  scheme: 'http' | 'https';
}

/** Regex path captures, as Kong exposes them (`uri_captures`): positional and named. */
export interface UriCaptures {
  unnamed: readonly string[];
  named: Readonly<Record<string, string>>;
}

/** The outcome of a successful match. */
export interface MatchResult<R extends RouterRoute = RouterRoute, S extends RouterService = RouterService> {
  route: R;
  /** null for a route without a service (Kong answers 503 "no Service found with those values"). */
  service: S | null;
  /** The path after strip_path (the whole request path when nothing is stripped). */
  strippedPath: string;
  /** The path to send upstream: service.path joined with the stripped path per path_handling. */
  upstreamPath: string;
  /** The leading part of the path that strip_path removed (X-Forwarded-Prefix), or null. */
  strippedPrefix: string | null;
  /** The route path that matched (prefix or `~regex`), or null for a route without paths. */
  matchedPath: string | null;
  /** The Host value that matched, or null for a route without hosts. */
  matchedHost: string | null;
  captures: UriCaptures | null;
  /** false when the route does not accept the request's scheme: the proxy answers with a redirect. */
  protocolAllowed: boolean;
}
