import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../shared/logger.js';
import { errorMessage } from '../../shared/errors.js';
import type { ListenAddress } from '../config/conf/types.js';
import { METHOD_NOT_ALLOWED, UNEXPECTED, type StatusAnswer } from './status-answers.js';

/** Inputs of the status API's HTTP shell. */
export interface StatusHttpServerInput {
  listen: readonly ListenAddress[];
  logger: Logger;
  /** Answers one GET/HEAD; `path` has no trailing slash (`/` for the root). */
  handle(path: string, url: URL): Promise<StatusAnswer>;
  /** Called with each listening server (a CP counts the status API's own connections). */
  onServer?(server: http.Server): void;
}

/** A running status API. */
export interface StatusHttpServer {
  addresses: { host: string; port: number }[];
  close(): Promise<void>;
}

function send(res: http.ServerResponse, a: StatusAnswer): void {
  const isText = 'text' in a;
  const body = isText ? a.text : JSON.stringify(a.body);
  res.writeHead(a.status, {
    'content-type': isText ? a.contentType : 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function listenOn(srv: http.Server, addr: ListenAddress): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen({ host: addr.host, port: addr.port }, () => {
      srv.off('error', reject);
      resolve();
    });
  });
}

/**
 * The HTTP shell of the read-only status API on status_listen, shared by data planes and control
 * planes: plain node http (a handful of routes, never on the proxy's hot path), GET/HEAD only, a
 * route that throws answers 500 and is logged, and a listener that cannot bind closes the others.
 */
export async function startStatusHttpServer(input: StatusHttpServerInput): Promise<StatusHttpServer> {
  const { logger } = input;
  const servers: http.Server[] = [];
  const addresses: { host: string; port: number }[] = [];
  const closeAll = (): Promise<void> =>
    Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((r) => {
            s.closeAllConnections();
            s.close(() => r());
          }),
      ),
    ).then(() => undefined);

  const route = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, METHOD_NOT_ALLOWED);
    const url = new URL(req.url ?? '/', 'http://status');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    send(res, await input.handle(path, url));
  };

  for (const addr of input.listen) {
    const srv = http.createServer((req, res) => {
      route(req, res).catch((err: unknown) => {
        logger.error({ err: errorMessage(err), path: req.url }, 'status request failed');
        if (!res.headersSent) send(res, UNEXPECTED);
        else res.destroy();
      });
    });
    // A malformed request must not reach 'error' on the server (it would crash the process).
    srv.on('clientError', (_err, socket) => socket.destroy());
    try {
      await listenOn(srv, addr);
    } catch (err) {
      await closeAll();
      throw err;
    }
    servers.push(srv);
    input.onServer?.(srv);
    const a = srv.address() as AddressInfo;
    addresses.push({ host: a.address, port: a.port });
  }
  return { addresses, close: closeAll };
}
