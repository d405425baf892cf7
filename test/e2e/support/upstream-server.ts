import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The header every answer of the upstream carries, so a test knows a response came from it. */
export const UPSTREAM_HEADER = 'x-hg-e2e-upstream';

/** A running upstream: where pods reach it, how many requests it served, and how to stop it. */
export interface UpstreamServer {
  host: string;
  port: number;
  /** The value of UPSTREAM_HEADER in its answers (unique per server). */
  id: string;
  /** Requests served so far. */
  served(): number;
  close(): Promise<void>;
}

/**
 * An HTTP upstream for the data planes to proxy to, bound to `host` (the cluster's hostAddress) on an
 * ephemeral port. It answers every request with 200, UPSTREAM_HEADER, and a JSON echo of the method,
 * path and the request's headers, so a test can check both that the request went through a data plane
 * and what the data plane sent.
 */
export async function startUpstream(host: string): Promise<UpstreamServer> {
  const id = `upstream-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  let served = 0;
  const server: Server = createServer((req, res) => {
    served++;
    const body = JSON.stringify({ method: req.method, path: req.url, headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json', [UPSTREAM_HEADER]: id });
    res.end(body);
  });
  // Keep-alive sockets from the data planes must not hold close() open at the end of the suite.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    host,
    port,
    id,
    served: () => served,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
