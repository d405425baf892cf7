/**
 * What each conf property is for, grouped as kong.conf groups them. Kept apart from properties.ts
 * (which says how a value is read) so that the table stays scannable; docs/configuration.md is
 * generated from both, and a test fails when a property has no entry here.
 */

/** One section of the configuration reference: a heading and its properties, in order. */
export interface PropertySection {
  title: string;
  /** One or two sentences shown under the heading. */
  intro: string;
  /** Property name → what it does (Markdown, one paragraph). */
  properties: Record<string, string>;
}

/** The sections of the reference, in the order kong.conf has them. */
export const PROPERTY_SECTIONS: readonly PropertySection[] = [
  {
    title: 'General',
    intro: 'What the node is and where it keeps its files.',
    properties: {
      role: '`traditional` (store and proxy in one node), `control_plane` (store, Admin API and cluster listener; never proxies) or `data_plane` (proxy only, configuration from a control plane, no store).',
      prefix: 'Working directory: logs, generated certificates (`<prefix>/ssl`), the LMDB environment and the data plane\'s configuration cache live under it. Relative paths in other properties that say "under prefix" are resolved against it.',
      log_level: 'Lowest severity written to the log (nginx\'s levels; `notice` and above are shown by default). Logs are JSON lines on stdout.',
      database: '`lmdb` (embedded, one node or one control plane), `postgres` (several control planes share one database) or `off` (no store; a traditional node then serves `declarative_config`). Data planes always run with `off`; the role forces it.',
      declarative_config: 'A declarative file (YAML or JSON, `_format_version` 1.1, 2.1 or 3.0) loaded at start when `database = off`.',
      plugins: 'Plugins this node may load: `bundled` (every plugin shipped), `off`, or a list of names. A control plane refuses configuration that uses a plugin missing here, and pushes only to data planes that have every plugin in use.',
      worker_processes: 'Proxy worker processes of a data plane or traditional node (`auto`: one per CPU). Kong\'s default is `auto`; ours is 1 because a second worker adds little on small pods.',
    },
  },
  {
    title: 'Listeners and TLS',
    intro: 'Addresses are `<host>:<port>` with flags (`ssl`, `http2`, `proxy_protocol`, `reuseport`, `backlog=N`); `off` disables a listener.',
    properties: {
      proxy_listen: 'Where the proxy accepts client traffic. Used by traditional nodes and data planes.',
      admin_listen: 'Where the Admin API listens. On loopback by default: Kong\'s Admin API has no authentication, so anything that can reach it can change the configuration (see `admin_auth`).',
      status_listen: 'The status API (`/status`, `/status/ready`, `/metrics`): what readiness and liveness probes call. Never changes configuration.',
      ssl_cert: 'Certificates (PEM, paths or inline) for `ssl` proxy listeners, in the same order as `ssl_cert_key`. Unset: a self-signed certificate is generated under the prefix.',
      ssl_cert_key: 'Private keys matching `ssl_cert`. Secret: never printed.',
      admin_ssl_cert: 'Certificates for `ssl` Admin API listeners. Unset: a self-signed certificate is generated under the prefix.',
      admin_ssl_cert_key: 'Private keys matching `admin_ssl_cert`. Secret: never printed.',
      admin_auth: 'Hybridgate\'s own: `token` requires `Authorization: Bearer <token>` on every Admin API request (compared in constant time; 401 otherwise). `off` behaves like Kong OSS.',
      admin_auth_tokens_file: 'File holding the accepted Admin API tokens, one per line (a mounted Secret). Re-read when it changes, so tokens rotate without a restart.',
      trusted_ips: 'Addresses or CIDR blocks whose `X-Forwarded-*` headers (and `real_ip_header`) are believed. Others are overwritten with what the proxy saw.',
      real_ip_header: 'Header carrying the client address when the peer is trusted.',
      real_ip_recursive: 'Take the last untrusted address of a list in `real_ip_header` instead of the last one.',
      headers: 'Headers the proxy adds to responses: `server_tokens` (Server, Via), `latency_tokens` (X-Kong-*-Latency), and others by name; `off` for none.',
      nginx_http_client_max_body_size: 'Largest request body the proxy accepts (413 beyond); 0 means no limit, as in Kong.',
      nginx_http_client_header_timeout:
        'How long a client may take to send the request line and headers, on the proxy and the Admin API (nginx time syntax). Closes slow-header (slowloris) connections.',
      nginx_http_client_body_timeout:
        'How long a client may stay silent between two reads of a request body (nginx time syntax).',
      nginx_http_keepalive_timeout: 'How long an idle keep-alive client connection is kept open (nginx time syntax).',
      upstream_keepalive_pool_size: 'Idle connections kept per upstream; 0 disables keep-alive to upstreams.',
      upstream_keepalive_max_requests: 'Requests sent on one upstream connection before it is closed (0: no limit).',
      upstream_keepalive_idle_timeout: 'Seconds an idle upstream connection is kept (0: no limit).',
    },
  },
  {
    title: 'Hybrid mode',
    intro: 'How control planes and data planes find and trust each other. See docs/protocol.md for the wire protocol and docs/security.md for what each check defends.',
    properties: {
      cluster_listen: 'Control plane: where data planes connect for configuration (mutual TLS, WebSocket).',
      cluster_telemetry_listen: 'Control plane: where data planes send telemetry (Vitals-style counters).',
      cluster_control_plane: 'Data plane: the control plane\'s cluster address. Ours accepts several, comma-separated, tried in turn when reconnecting.',
      cluster_telemetry_endpoint: 'Data plane: the control plane\'s telemetry address.',
      cluster_mtls: '`shared`: one certificate and key for every node, pinned by both sides. `pki`: each side presents a certificate issued by `cluster_ca_cert` and the names are checked.',
      cluster_cert: 'This node\'s cluster certificate (PEM path or inline). Required on both roles.',
      cluster_cert_key: 'The key of `cluster_cert`. Secret: never printed and never sent over the network.',
      cluster_ca_cert: 'With `pki`: the CA that issued the peers\' certificates (a root).',
      cluster_server_name: 'Data plane, `pki`: the name expected in the control plane\'s certificate when it differs from the host in `cluster_control_plane`.',
      cluster_telemetry_server_name: 'Data plane, `pki`: the same for the telemetry endpoint.',
      cluster_ocsp: 'Control plane, `pki`: check data plane certificates with their OCSP responder. `on` refuses when the status is unknown, `optional` only when revoked, `off` skips the check.',
      cluster_dp_labels: 'Data plane: labels (`key:value`, comma-separated, at most 10) reported to the control plane and shown in `/clustering/data-planes`.',
      cluster_max_payload: 'Largest configuration frame, in bytes (at least 4 MiB). Protocol v2 sends a larger full snapshot as several `snapshot_part` frames; a protocol v1 data plane cannot receive one (the control plane logs why).',
      cluster_data_plane_purge_delay: 'Control plane: seconds a disconnected data plane stays in `/clustering/data-planes` (14 days by default, at least 60).',
      cluster_ping_interval: 'Seconds between a data plane\'s heartbeats, which carry its configuration hash.',
      cluster_max_connections_per_ip:
        "Hybridgate's own, control plane: cluster and telemetry connections accepted per source address, counted before TLS (0: no limit). Each data plane holds two; raise it when more than about 60 data planes share one NAT address.",
      cluster_max_handshakes_in_flight:
        "Hybridgate's own, control plane: TLS handshakes pending at once; over it new sockets are dropped unread, so a flood cannot queue CPU-heavy handshakes ahead of real data planes (0: no limit).",
      cluster_handshake_timeout:
        "Hybridgate's own, control plane: seconds a connection may take from accept to a finished TLS handshake.",
      cluster_reconnect_base: 'Hybridgate\'s own: first reconnect delay of a data plane, in seconds; doubled per failure with jitter.',
      cluster_reconnect_cap: 'Hybridgate\'s own: longest reconnect delay, in seconds.',
      db_update_frequency: 'Seconds between a control plane\'s checks for changes made by other control planes sharing the database.',
      data_plane_config_cache_mode: 'Data plane: keep the last configuration on disk (`unencrypted`, `encrypted` with a key derived from `cluster_cert_key`, or `off`), so that it serves traffic after a restart while the control plane is unreachable.',
      data_plane_config_cache_path: 'Data plane: where that cache lives (under the prefix by default).',
    },
  },
  {
    title: 'Datastore',
    intro: 'Used by traditional nodes and control planes; a data plane has no datastore.',
    properties: {
      lmdb_environment_path:
        "The LMDB environment: a control plane's or traditional node's store, a data plane's configuration cache. Relative to the prefix unless absolute; the operator puts it on the control plane's volume.",
      lmdb_map_size: 'Largest size the LMDB environment may grow to.',
      pg_host: 'PostgreSQL host.',
      pg_port: 'PostgreSQL port.',
      pg_user: 'PostgreSQL user.',
      pg_password: 'PostgreSQL password. Secret: never printed.',
      pg_database: 'PostgreSQL database.',
      pg_schema: 'Schema to use instead of the user\'s search path.',
      pg_ssl: 'Connect to PostgreSQL with TLS.',
      pg_ssl_verify: 'Verify the server certificate when `pg_ssl` is on.',
      pg_timeout: 'Milliseconds allowed for connecting and for each query.',
      pg_max_concurrent_queries: 'Queries run at once per node (0: no limit).',
    },
  },
];
