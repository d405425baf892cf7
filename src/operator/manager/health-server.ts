import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** What the probes and the scraper ask. */
export interface HealthSources {
  registry: Registry;
  /** /readyz answers 200 only when this returns true (caches synced). */
  ready(): boolean;
}

/**
 * The manager's small HTTP server: /metrics (Prometheus text), /healthz (the process runs) and
 * /readyz (informer caches synced). Anything else is 404; only GET/HEAD are served.
 */
export class HealthServer {
  private readonly server: Server;
  private readonly sources: HealthSources;

  constructor(sources: HealthSources) {
    this.sources = sources;
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      if (path === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      } else if (path === '/readyz') {
        const ok = this.sources.ready();
        res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok' : 'caches not synced');
      } else if (path === '/metrics') {
        this.sources.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': this.sources.registry.contentType }).end(text),
          () => res.writeHead(500).end(),
        );
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      }
    });
  }

  /** Listens (port 0 picks a free port) and returns the bound address. */
  async listen(port: number, host = '127.0.0.1'): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.server.address() as AddressInfo;
  }

  /** Stops listening and closes idle keep-alive connections. */
  async close(): Promise<void> {
    if (!this.server.listening) return;
    this.server.closeIdleConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
