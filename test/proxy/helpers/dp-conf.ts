import type { Conf, ListenAddress } from '../../../src/runtime/config/conf/types.js';

/** A loopback listener on an ephemeral port (plain, or `ssl`). */
export function loopbackListen(ssl = false): ListenAddress {
  return {
    host: '127.0.0.1',
    port: 0,
    ssl,
    http2: false,
    proxyProtocol: false,
    reusePort: false,
    backlog: null,
  };
}

/** The conf fields startDataPlane reads, with Kong's defaults, for a data plane under `prefix`. */
export function dataPlaneConf(prefix: string, overrides: Partial<Conf> = {}): Conf {
  return {
    role: 'data_plane',
    prefix,
    plugins: ['bundled'],
    proxy_listen: [loopbackListen()],
    status_listen: [loopbackListen()],
    ssl_cert: [],
    ssl_cert_key: [],
    trusted_ips: [],
    real_ip_header: 'X-Real-IP',
    headers: ['server_tokens', 'latency_tokens'],
    nginx_http_client_max_body_size: 0,
    upstream_keepalive_pool_size: 64,
    upstream_keepalive_max_requests: 1000,
    upstream_keepalive_idle_timeout: 60,
    worker_processes: 1,
    ...overrides,
  } as unknown as Conf;
}
