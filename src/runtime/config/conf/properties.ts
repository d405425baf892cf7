import { availableParallelism } from 'node:os';
import { dpLabels } from './dp-labels.js';
import { hostPort, hostPortList, listen } from './listen-parser.js';
import { pem, pemList } from './pem-value.js';
import type { Conf, Role } from './types.js';
import {
  bool,
  headerName,
  hostname,
  int,
  InvalidValue,
  ipOrCidr,
  list,
  nullable,
  oneOf,
  path,
  pluginName,
  positiveNumber,
  size,
  text,
  type ValueType,
} from './value-types.js';

/**
 * Every conf property, as data: its type, its default in kong.conf syntax (parsed by the same code as
 * user values, so a default can never bypass validation; `''` is Kong's NONE), whether it is a secret,
 * and which roles use it. Defaults are Kong's (kong.conf.default, OSS 3.x) unless marked "ours".
 */

/** How one property is read. */
export interface PropertySpec<T> {
  type: ValueType<T>;
  /** The default as kong.conf text; `''` means unset (null, or an empty list). */
  default: string;
  /** Never printed: redacted in dumps and logs, never echoed in errors. */
  secret?: boolean;
  /** The roles that use it; setting it on another role warns (or fails, with `elsewhere: 'error'`). */
  roles?: readonly Role[];
  elsewhere?: 'warn' | 'error';
}

/** The table's shape: exactly one spec per Conf key, typed by the key's value. */
export type PropertyTable = { [K in keyof Conf]: PropertySpec<Conf[K]> };

/** The plugins `bundled` stands for (the handlers this build ships). */
export const BUNDLED_PLUGINS = [
  'key-auth',
  'basic-auth',
  'acl',
  'rate-limiting',
  'cors',
  'ip-restriction',
  'request-transformer',
  'response-transformer',
  'request-size-limiting',
  'correlation-id',
  'prometheus',
] as const;

/** `plugins`: `bundled`, `off`, or names, with `bundled` expanded in place and duplicates dropped. */
const pluginList: ValueType<string[]> = {
  expected: 'bundled, off, or a comma-separated list of plugin names (may include bundled)',
  parse(raw, ctx) {
    const names = list(pluginName).parse(raw, ctx);
    if (names.includes('off')) {
      if (names.length > 1) throw new InvalidValue('off cannot be combined with plugin names');
      return [];
    }
    return [...new Set(names.flatMap((n) => (n === 'bundled' ? [...BUNDLED_PLUGINS] : [n])))];
  },
};

// Kong's nginx_worker_processes: `auto` is one per CPU, resolved when the conf is read.
const workerProcesses: ValueType<number> = {
  expected: 'auto or an integer between 1 and 256',
  parse(raw) {
    if (raw === 'auto') return Math.max(1, Math.min(256, availableParallelism()));
    if (!/^\d+$/.test(raw)) throw new InvalidValue(`"${raw}" is neither auto nor an integer`);
    const n = Number(raw);
    if (n < 1 || n > 256) throw new InvalidValue(`${raw} is out of range`);
    return n;
  },
};

// nginx time syntax as Kong's nginx_http_* directives take it (`60s`, `500ms`, `1m`; bare = seconds), in ms.
const nginxTime: ValueType<number> = {
  expected: 'a duration such as 60s, 500ms or 1m (a bare number is seconds), at most 1h',
  parse(raw) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(raw.trim());
    if (!m) throw new InvalidValue(`"${raw}" is not a duration`);
    const ms = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']!;
    if (ms < 1 || ms > 3_600_000) throw new InvalidValue(`${raw} is out of range (1ms to 1h)`);
    return Math.round(ms);
  },
};

const CP: readonly Role[] = ['control_plane'];
const DP: readonly Role[] = ['data_plane'];
const HYBRID: readonly Role[] = ['control_plane', 'data_plane'];
const STORE: readonly Role[] = ['traditional', 'control_plane'];

const LOG_LEVELS = ['debug', 'info', 'notice', 'warn', 'error', 'crit', 'alert', 'emerg'] as const;

/** The properties table. */
export const PROPERTIES: PropertyTable = {
  role: { type: oneOf(['traditional', 'control_plane', 'data_plane']), default: 'traditional' },
  prefix: { type: path('cwd'), default: '/usr/local/hybridgate' },
  log_level: { type: oneOf(LOG_LEVELS), default: 'notice' },
  // Ours: an embedded LMDB store instead of Kong's PostgreSQL-only default.
  database: { type: oneOf(['lmdb', 'postgres', 'off']), default: 'lmdb' },
  declarative_config: { type: nullable(path('cwd')), default: '' },
  plugins: { type: pluginList, default: 'bundled' },

  proxy_listen: {
    type: listen,
    default: '0.0.0.0:8000 reuseport backlog=16384, 0.0.0.0:8443 http2 ssl reuseport backlog=16384',
  },
  admin_listen: {
    type: listen,
    default: '127.0.0.1:8001 reuseport backlog=16384, 127.0.0.1:8444 http2 ssl reuseport backlog=16384',
  },
  status_listen: { type: listen, default: 'off' },
  ssl_cert: { type: pemList('certificate'), default: '' },
  ssl_cert_key: { type: pemList('key'), default: '', secret: true },
  admin_ssl_cert: { type: pemList('certificate'), default: '', roles: STORE },
  admin_ssl_cert_key: { type: pemList('key'), default: '', secret: true, roles: STORE },
  // Ours: Kong OSS has no Admin API authentication (off keeps that); token = bearer tokens from a file.
  admin_auth: { type: oneOf(['off', 'token']), default: 'off', roles: STORE },
  // A path, not the tokens: the file (a mounted Secret) is re-read when it changes.
  admin_auth_tokens_file: { type: nullable(path('cwd')), default: '', roles: STORE },
  trusted_ips: { type: list(ipOrCidr), default: '' },
  real_ip_header: { type: text, default: 'X-Real-IP' },
  real_ip_recursive: { type: bool, default: 'off' },
  headers: { type: list(headerName, { allowOff: true }), default: 'server_tokens, latency_tokens' },
  nginx_http_client_max_body_size: { type: size(), default: '0' },
  upstream_keepalive_pool_size: { type: int(0), default: '512' },
  upstream_keepalive_max_requests: { type: int(0), default: '1000' },
  upstream_keepalive_idle_timeout: { type: int(0), default: '60' },
  // Slow clients (docs/security.md): nginx's client_header_timeout/client_body_timeout defaults, and the
  // 60 s keepalive_timeout the proxy always had; Kong sets them as nginx_http_* directives (proxy and Admin API).
  nginx_http_client_header_timeout: { type: nginxTime, default: '60s' },
  nginx_http_client_body_timeout: { type: nginxTime, default: '60s' },
  nginx_http_keepalive_timeout: { type: nginxTime, default: '60s' },
  // Proxy worker processes of a data plane (node:cluster); ours defaults to 1 where Kong's is auto.
  worker_processes: { type: workerProcesses, default: '1', roles: DP },

  cluster_listen: { type: listen, default: '0.0.0.0:8005', roles: CP },
  cluster_telemetry_listen: { type: listen, default: '0.0.0.0:8006', roles: CP },
  // Ours: several comma-separated addresses, tried in turn on reconnect (Kong takes one).
  cluster_control_plane: { type: hostPortList, default: '127.0.0.1:8005', roles: DP },
  cluster_telemetry_endpoint: { type: hostPort, default: '127.0.0.1:8006', roles: DP },
  cluster_mtls: { type: oneOf(['shared', 'pki']), default: 'shared', roles: HYBRID },
  cluster_cert: { type: pem('certificate'), default: '', roles: HYBRID },
  cluster_cert_key: { type: pem('key'), default: '', secret: true, roles: HYBRID },
  cluster_ca_cert: { type: pem('certificate'), default: '', roles: HYBRID },
  cluster_server_name: { type: nullable(hostname), default: '', roles: DP },
  cluster_telemetry_server_name: { type: nullable(hostname), default: '', roles: DP },
  cluster_ocsp: { type: oneOf(['on', 'off', 'optional']), default: 'off', roles: CP },
  cluster_dp_labels: { type: dpLabels, default: '', roles: DP, elsewhere: 'error' },
  cluster_max_payload: { type: int(4194304), default: '16777216', roles: HYBRID },
  cluster_data_plane_purge_delay: { type: int(60), default: '1209600', roles: CP },
  cluster_ping_interval: { type: int(1, 3600), default: '30', roles: HYBRID },
  // Ours (Kong has none; docs/security.md): cluster port limits before TLS. 128 per address leaves room
  // for ~60 DPs behind one NAT address mid-reconnect (each also holds a telemetry connection); 0 = none.
  cluster_max_connections_per_ip: { type: int(0), default: '128', roles: CP },
  cluster_max_handshakes_in_flight: { type: int(0), default: '128', roles: CP },
  cluster_handshake_timeout: { type: positiveNumber(0), default: '10', roles: CP },
  // Ours: exponential backoff with jitter instead of Kong's flat random 5-10 s.
  cluster_reconnect_base: { type: positiveNumber(0), default: '1', roles: DP },
  cluster_reconnect_cap: { type: positiveNumber(0), default: '30', roles: DP },
  db_update_frequency: { type: positiveNumber(0), default: '5', roles: STORE },
  data_plane_config_cache_mode: { type: oneOf(['unencrypted', 'encrypted', 'off']), default: 'unencrypted', roles: DP },
  data_plane_config_cache_path: { type: nullable(path('prefix')), default: '', roles: DP },

  lmdb_environment_path: { type: text, default: 'dbless.lmdb' },
  lmdb_map_size: { type: size(1024 * 1024), default: '2048m' },

  pg_host: { type: text, default: '127.0.0.1' },
  pg_port: { type: int(1, 65535), default: '5432' },
  pg_user: { type: text, default: 'kong' },
  pg_password: { type: nullable(text), default: '', secret: true },
  pg_database: { type: text, default: 'kong' },
  pg_schema: { type: nullable(text), default: '' },
  pg_ssl: { type: bool, default: 'off' },
  pg_ssl_verify: { type: bool, default: 'off' },
  pg_timeout: { type: int(1), default: '5000' },
  pg_max_concurrent_queries: { type: int(0), default: '0' },
};

/** Every property name, in table order. */
export const PROPERTY_NAMES = Object.keys(PROPERTIES) as (keyof Conf)[];

/** Whether a key names a property. */
export function isProperty(key: string): key is keyof Conf {
  return Object.hasOwn(PROPERTIES, key);
}

/** The names of the secret properties (redacted in dumps). */
export const SECRET_PROPERTIES: ReadonlySet<string> = new Set(
  PROPERTY_NAMES.filter((k) => PROPERTIES[k].secret === true),
);
