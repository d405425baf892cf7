import { open, readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { containerLogName } from './pod-worker.js';

/** Lines the local node adds to a container's log file; `kubectl logs` shows only the container's. */
const MARKER = '--- local node: ';

/**
 * The one kubelet endpoint the apiserver proxies that tests need: `containerLogs`, so that
 * `kubectl logs [-f] [--tail N]` works against the local node. HTTPS on the node's address; the
 * apiserver does not verify kubelet certificates unless told to, and sends no client certificate.
 */
export class KubeletServer {
  private server: Server | undefined;

  constructor(
    private readonly logDir: string,
    private readonly cert: { certFile: string; keyFile: string },
  ) {}

  /** Listens on `host` (port 0) and resolves with the port to advertise in the Node's daemonEndpoints. */
  async start(host: string): Promise<number> {
    const [cert, key] = await Promise.all([readFile(this.cert.certFile), readFile(this.cert.keyFile)]);
    const server = createServer({ cert, key }, (req, res) => {
      const url = new URL(req.url ?? '/', 'https://local-node');
      const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
      if (req.method !== 'GET' || !m) {
        res
          .writeHead(404, { 'content-type': 'text/plain' })
          .end(`the local node serves only /containerLogs\n`);
        return;
      }
      const [ns, pod, container] = m.slice(1).map(decodeURIComponent) as [string, string, string];
      const file = join(this.logDir, containerLogName(ns, pod, container));
      const tail = url.searchParams.get('tailLines');
      void this.serve(
        res,
        file,
        tail === null ? undefined : Number(tail),
        url.searchParams.get('follow') === 'true',
      );
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, resolve);
    });
    return (server.address() as AddressInfo).port;
  }

  private async serve(
    res: ServerResponse,
    file: string,
    tailLines: number | undefined,
    follow: boolean,
  ): Promise<void> {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) {
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end(`no log for this container on the local node\n`);
      return;
    }
    let lines = text.split('\n').filter((l) => !l.startsWith(MARKER));
    if (lines.at(-1) === '') lines.pop();
    if (tailLines !== undefined && tailLines >= 0) lines = lines.slice(Math.max(0, lines.length - tailLines));
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write(lines.map((l) => `${l}\n`).join(''));
    if (!follow) {
      res.end();
      return;
    }
    // Follow: poll for growth until the client goes away (the apiserver closes the stream then).
    let offset = Buffer.byteLength(text);
    const timer = setInterval(() => {
      void (async () => {
        const size = (await stat(file).catch(() => undefined))?.size ?? offset;
        if (size <= offset) return;
        const fh = await open(file, 'r');
        try {
          const buf = Buffer.alloc(size - offset);
          await fh.read(buf, 0, buf.length, offset);
          offset = size;
          const fresh = buf
            .toString('utf8')
            .split('\n')
            .filter((l) => !l.startsWith(MARKER));
          res.write(fresh.join('\n'));
        } finally {
          await fh.close();
        }
      })();
    }, 250);
    res.once('close', () => clearInterval(timer));
  }

  /** Stops listening and drops open log streams. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
