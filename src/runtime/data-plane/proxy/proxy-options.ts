import type { Conf } from '../../config/conf/types.js';
import { HYBRIDGATE_VERSION } from '../../version.js';

/** The conf-derived settings the proxy reads on every request, resolved once at start. */
export interface ProxyOptions {
  /** `hybridgate/<version>`, sent as Server on our own responses and in Via when server_tokens is on. */
  serverToken: string;
  serverTokens: boolean;
  latencyTokens: boolean;
  trustedIps: readonly string[];
  /** Lower-cased real_ip_header (`x-real-ip` by default). */
  realIpHeader: string;
  /** Request body limit in bytes; 0 means unlimited (nginx_http_client_max_body_size = 0). */
  maxBodySize: number;
  /** Longest request target accepted before 414 (nginx: large_client_header_buffers 8k). */
  maxUriLength: number;
  /** Node's limit on the request line plus headers; beyond it the client gets 431. */
  maxHeaderSize: number;
  keepalivePoolSize: number;
  keepaliveMaxRequests: number;
  keepaliveIdleTimeoutMs: number;
  /** Slow clients (client-timeouts.ts): nginx client_header_timeout, client_body_timeout, keepalive_timeout. */
  clientHeaderTimeoutMs: number;
  clientBodyTimeoutMs: number;
  keepaliveTimeoutMs: number;
}

/** Reads the proxy's options from the conf, falling back to Kong's defaults for absent values. */
export function proxyOptionsFromConf(conf: Partial<Conf>): ProxyOptions {
  const headers = (conf.headers ?? ['server_tokens', 'latency_tokens']).map((h) => h.toLowerCase());
  const off = headers.includes('off');
  return {
    serverToken: `hybridgate/${HYBRIDGATE_VERSION}`,
    serverTokens: !off && headers.includes('server_tokens'),
    latencyTokens: !off && headers.includes('latency_tokens'),
    trustedIps: conf.trusted_ips ?? [],
    realIpHeader: (conf.real_ip_header ?? 'X-Real-IP').toLowerCase(),
    maxBodySize: conf.nginx_http_client_max_body_size ?? 0,
    maxUriLength: 8192,
    maxHeaderSize: 16384,
    keepalivePoolSize: conf.upstream_keepalive_pool_size ?? 512,
    keepaliveMaxRequests: conf.upstream_keepalive_max_requests ?? 10000,
    keepaliveIdleTimeoutMs: (conf.upstream_keepalive_idle_timeout ?? 60) * 1000,
    clientHeaderTimeoutMs: conf.nginx_http_client_header_timeout ?? 60_000,
    clientBodyTimeoutMs: conf.nginx_http_client_body_timeout ?? 60_000,
    keepaliveTimeoutMs: conf.nginx_http_keepalive_timeout ?? 60_000,
  };
}
