import type { IncomingMessage, Server } from 'node:http';

/** How long a client may take, as nginx's client_header_timeout, client_body_timeout, keepalive_timeout. */
export interface ClientTimeouts {
  headerMs: number;
  bodyMs: number;
  keepAliveMs: number;
}

/**
 * Applies the header and keep-alive timeouts to a Node server. Node checks headersTimeout on a sweep
 * (connectionsCheckingInterval, 30 s by default), so the sweep is tightened to a quarter of the
 * timeout (within 100 ms..5 s): a 60 s timeout then fires within 60-65 s, not 60-90 s. There is no
 * total request deadline (requestTimeout 0), as in nginx: a long upload that keeps sending is fine;
 * one that stops is cut by the body timeout.
 */
export function applyClientTimeouts(server: Server, t: ClientTimeouts): void {
  server.headersTimeout = t.headerMs;
  server.requestTimeout = 0;
  server.keepAliveTimeout = t.keepAliveMs;
  // A public Server property Node reads when the server starts listening; missing from @types/node.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.min(
    5000,
    Math.max(100, Math.floor(t.headerMs / 4)),
  );
}

/**
 * nginx's client_body_timeout: while the request body is being read, a client that sends nothing for
 * `ms` loses its connection (an idle timer on the socket, re-armed by every byte, so a slow but steady
 * upload passes). Disarmed once the body is complete, so it never fires while the upstream answers.
 */
export function armBodyTimeout(req: IncomingMessage, ms: number): void {
  if (ms <= 0 || req.complete) return;
  const sock = req.socket;
  const onTimeout = (): void => void sock.destroy();
  const disarm = (): void => {
    sock.off('timeout', onTimeout);
    sock.setTimeout(0);
  };
  sock.setTimeout(ms);
  sock.on('timeout', onTimeout);
  req.once('end', disarm);
  req.once('close', disarm);
}
