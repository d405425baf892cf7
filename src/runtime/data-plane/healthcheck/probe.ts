/**
 * One active health probe: an HTTP(S) GET of http_path, or a TCP connect for `tcp` (and for grpc
 * types, which we probe by connect only). Never rejects: every way a probe can end is an outcome.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { ActiveConfig } from './health-config.js';

/** How a probe ended. */
export type ProbeOutcome = { kind: 'status'; status: number } | { kind: 'tcp_failure' } | { kind: 'timeout' };

/** The address probed and the hostname to send as Host (and SNI). */
export interface ProbeTarget {
  ip: string;
  port: number;
  hostname: string;
}

function tcpProbe(t: ProbeTarget, cfg: ActiveConfig): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: t.ip, port: t.port });
    const timer = setTimeout(() => done({ kind: 'timeout' }), cfg.timeoutMs);
    function done(o: ProbeOutcome): void {
      clearTimeout(timer);
      socket.destroy();
      resolve(o);
    }
    socket.once('connect', () => done({ kind: 'status', status: 200 }));
    socket.once('error', () => done({ kind: 'tcp_failure' }));
  });
}

function httpProbe(t: ProbeTarget, cfg: ActiveConfig): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const secure = cfg.type === 'https';
    const headers: Record<string, string | string[]> = { ...cfg.headers };
    const hostHeader =
      t.hostname.includes(':') && !t.hostname.startsWith('[') ? `[${t.hostname}]` : t.hostname;
    headers.host = `${hostHeader}:${t.port}`;
    headers.connection = 'close';
    const opts: https.RequestOptions = {
      host: t.ip,
      port: t.port,
      method: 'GET',
      path: cfg.httpPath,
      headers,
      agent: false,
    };
    if (secure) {
      opts.rejectUnauthorized = cfg.verifyCertificate;
      const sni = cfg.httpsSni ?? t.hostname;
      if (!net.isIP(sni)) opts.servername = sni;
    }
    let settled = false;
    const req = (secure ? https : http).request(opts, (res) => {
      finish({ kind: 'status', status: res.statusCode ?? 0 });
      res.resume();
    });
    const timer = setTimeout(() => {
      finish({ kind: 'timeout' });
      req.destroy();
    }, cfg.timeoutMs);
    function finish(o: ProbeOutcome): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(o);
    }
    req.once('error', () => finish({ kind: 'tcp_failure' }));
    req.end();
  });
}

/** Probes one address with the upstream's active settings. */
export function probe(t: ProbeTarget, cfg: ActiveConfig): Promise<ProbeOutcome> {
  return cfg.type === 'http' || cfg.type === 'https' ? httpProbe(t, cfg) : tcpProbe(t, cfg);
}
