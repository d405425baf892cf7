/**
 * The resolved configuration of a node, as every part of the runtime reads it. Keys are Kong's property
 * names (seeds: kong.conf); values are parsed (listeners split into addresses, sizes into bytes,
 * certificates loaded). The conf loader (`load-conf.ts`) is the only producer.
 */

/** Node roles (seed 002): `traditional` stores config and proxies; CP stores and serves; DP proxies. */
export type Role = 'traditional' | 'control_plane' | 'data_plane';

/** One address of a `*_listen` property, e.g. `0.0.0.0:8443 ssl http2`. */
export interface ListenAddress {
  host: string;
  port: number;
  ssl: boolean;
  http2: boolean;
  proxyProtocol: boolean;
  reusePort: boolean;
  backlog: number | null;
}

/**
 * A certificate or key given as a path, PEM content or base64 PEM. `path` is kept so that a file that
 * changes on disk (a rotated Kubernetes Secret) can be reloaded.
 */
export interface PemValue {
  path: string | null;
  pem: string;
}

/** `host:port` of a remote endpoint (cluster_control_plane, cluster_telemetry_endpoint). */
export interface HostPort {
  host: string;
  port: number;
}

/** The resolved configuration. `*_listen` values of `off` are empty arrays. */
export interface Conf {
  role: Role;
  prefix: string;
  log_level: 'debug' | 'info' | 'notice' | 'warn' | 'error' | 'crit' | 'alert' | 'emerg';
  database: 'lmdb' | 'postgres' | 'off';
  declarative_config: string | null;
  plugins: string[];

  proxy_listen: ListenAddress[];
  admin_listen: ListenAddress[];
  status_listen: ListenAddress[];
  ssl_cert: PemValue[];
  ssl_cert_key: PemValue[];
  /** Certificates of the Admin API's ssl listeners (a generated self-signed one when empty). */
  admin_ssl_cert: PemValue[];
  admin_ssl_cert_key: PemValue[];
  /** Admin API authentication: `off` (Kong OSS) or `token` (tokens from admin_auth_tokens_file). */
  admin_auth: 'off' | 'token';
  /** One token per line, `#` comments; reloaded when it changes. Required when admin_auth = token. */
  admin_auth_tokens_file: string | null;
  trusted_ips: string[];
  real_ip_header: string;
  /** Take the last untrusted address of real_ip_header rather than the last one (nginx real_ip_recursive). */
  real_ip_recursive: boolean;
  headers: string[];
  nginx_http_client_max_body_size: number;
  upstream_keepalive_pool_size: number;
  upstream_keepalive_max_requests: number;
  upstream_keepalive_idle_timeout: number;
  /** Slow-client timeouts of the proxy and the Admin API, in ms (nginx directive names; `60s` syntax). */
  nginx_http_client_header_timeout: number;
  nginx_http_client_body_timeout: number;
  nginx_http_keepalive_timeout: number;
  /** Proxy worker processes of a data plane (`auto` resolved to the CPU count). */
  worker_processes: number;

  cluster_listen: ListenAddress[];
  cluster_telemetry_listen: ListenAddress[];
  /** The CPs a DP dials, in order; more than one is our extension (see docs/protocol.md). */
  cluster_control_plane: [HostPort, ...HostPort[]];
  cluster_telemetry_endpoint: HostPort;
  cluster_mtls: 'shared' | 'pki';
  cluster_cert: PemValue | null;
  cluster_cert_key: PemValue | null;
  cluster_ca_cert: PemValue | null;
  cluster_server_name: string | null;
  cluster_telemetry_server_name: string | null;
  cluster_ocsp: 'on' | 'off' | 'optional';
  cluster_dp_labels: Record<string, string>;
  cluster_max_payload: number;
  cluster_data_plane_purge_delay: number;
  /** Seconds between CP checks for dead DPs and DP heartbeats (Kong: 30 s ping, 45 s timeout). */
  cluster_ping_interval: number;
  /** Cluster port limits before TLS (0 = no limit) and the handshake deadline in seconds. */
  cluster_max_connections_per_ip: number;
  cluster_max_handshakes_in_flight: number;
  cluster_handshake_timeout: number;
  /** Reconnect backoff of the DP: exponential from base to cap seconds, with full jitter. */
  cluster_reconnect_base: number;
  cluster_reconnect_cap: number;
  /** Seconds between two config pushes of the CP (Kong debounces pushes by db_update_frequency). */
  db_update_frequency: number;
  data_plane_config_cache_mode: 'unencrypted' | 'encrypted' | 'off';
  data_plane_config_cache_path: string | null;

  lmdb_environment_path: string;
  lmdb_map_size: number;

  pg_host: string;
  pg_port: number;
  pg_user: string;
  pg_password: string | null;
  pg_database: string;
  pg_schema: string | null;
  pg_ssl: boolean;
  pg_ssl_verify: boolean;
  pg_timeout: number;
  pg_max_concurrent_queries: number;
}
