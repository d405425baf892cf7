import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { errorMessage } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/logger.js';
import type { ClusterTlsPolicy } from '../../protocol/tls-policy.js';
import type { ClientVerification } from './client-verification.js';
import { createConnectionGuard, type ConnectionGuard } from './connection-guard.js';

/** Bound servers of one listener and their addresses. */
export interface TlsServers {
  servers: Server[];
  addresses: { host: string; port: number }[];
  /** Connection limits shared by the servers (per source address, handshakes in flight). */
  guard: ConnectionGuard;
}

/** Ends an upgrade request with a JSON error (400/404) and closes the socket. */
export function refuseUpgrade(socket: Socket, status: 400 | 404, message: string): void {
  const body = JSON.stringify({ message });
  socket.end(
    `HTTP/1.1 ${status} ${status === 400 ? 'Bad Request' : 'Not Found'}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * Binds one mTLS https server per address for a WebSocket-only listener (cluster, telemetry): plain
 * requests get 426, handshakes are judged by `verification`, upgrades go to `onUpgrade`. Resolves once
 * every address is bound; on a bind error closes what it opened and rejects.
 */
export async function startTlsServers(o: {
  listen: readonly { host: string; port: number }[];
  tls: ClusterTlsPolicy;
  verification: ClientVerification;
  onUpgrade: (req: IncomingMessage, socket: Socket, head: Buffer) => void;
  logger: Logger;
  /** Names the listener in log lines ("cluster", "cluster telemetry"). */
  label: string;
  /** Connection limits; without one, connection-guard.ts defaults apply. */
  guard?: ConnectionGuard;
}): Promise<TlsServers> {
  const guard = o.guard ?? createConnectionGuard({ logger: o.logger, label: o.label });
  const servers: Server[] = [];
  const addresses: { host: string; port: number }[] = [];
  try {
    for (const addr of o.listen) {
      const server = createServer(o.tls.serverOptions(), (_req, res) => {
        res
          .writeHead(426, { 'content-type': 'application/json' })
          .end(JSON.stringify({ message: 'Upgrade Required' }));
      });
      guard.attach(server);
      o.verification.attach(server);
      server.on('tlsClientError', (err, sock) =>
        o.logger.debug({ ip: sock.remoteAddress, err: errorMessage(err) }, `${o.label} tls handshake failed`),
      );
      server.on('upgrade', o.onUpgrade);
      servers.push(server);
      server.listen(addr.port, addr.host);
      await Promise.race([once(server, 'listening'), once(server, 'error').then(([e]) => Promise.reject(e))]);
      const bound = server.address() as AddressInfo;
      addresses.push({ host: bound.address, port: bound.port });
      o.logger.info({ host: bound.address, port: bound.port }, `${o.label} listener started`);
    }
  } catch (err) {
    for (const s of servers) s.close();
    throw err;
  }
  return { servers, addresses, guard };
}

/** Closes the servers and cuts whatever connections they still hold. */
export async function closeTlsServers(servers: readonly Server[]): Promise<void> {
  await Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        }),
    ),
  );
}
