import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { errorMessage } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/logger.js';
import { CLOSE_CODES } from '../../protocol/constants.js';
import { ProtocolError } from '../../protocol/errors.js';
import { parseTelemetryBatch, TELEMETRY_PATH } from '../../protocol/telemetry-messages.js';
import type { ClusterTlsPolicy } from '../../protocol/tls-policy.js';
import { attachClientVerification, followCertificateReloads } from '../sync/client-verification.js';
import { closeTlsServers, refuseUpgrade, startTlsServers } from '../sync/tls-servers.js';
import type { TelemetryAggregator } from './telemetry-aggregator.js';

/** What the telemetry listener is built from. */
export interface TelemetryListenerOptions {
  /** conf.cluster_telemetry_listen. */
  listen: readonly { host: string; port: number }[];
  /** The same policy as the cluster listener (same mTLS rules, OCSP included). */
  tls: ClusterTlsPolicy;
  aggregator: TelemetryAggregator;
  logger: Logger;
  /** Largest batch frame accepted (default 8 MiB). */
  maxPayload?: number;
  /** How often silent DPs are pinged; two missed pongs close them (default 30 s). */
  pingIntervalMs?: number;
}

/** A running telemetry listener. */
export interface TelemetryListener {
  readonly addresses: { host: string; port: number }[];
  close(): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The CP's telemetry listener (cluster_telemetry_listen): DPs authenticated exactly as on the cluster
 * listener stream batches to /v1/ingest; each batch goes into the aggregator. A bad frame closes that
 * DP's telemetry connection only.
 */
export async function startTelemetryListener(opts: TelemetryListenerOptions): Promise<TelemetryListener> {
  const log = opts.logger;
  const agg = opts.aggregator;
  const verification = attachClientVerification(opts.tls, log, 'data plane (telemetry)');
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayload ?? 8 * 1024 * 1024 });
  const live = new Map<string, Set<WebSocket>>();
  const alive = new WeakMap<WebSocket, boolean>();

  const accept = (ws: WebSocket, id: string, who: { hostname: string; ip: string }) => {
    let set = live.get(id);
    if (!set) live.set(id, (set = new Set()));
    set.add(ws);
    alive.set(ws, true);
    agg.connected(id, who);
    log.info({ node_id: id, ...who }, 'data plane telemetry connected');
    ws.on('pong', () => alive.set(ws, true));
    ws.on('message', (data, isBinary) => {
      alive.set(ws, true);
      try {
        const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
        agg.ingest(id, parseTelemetryBatch(buf, isBinary));
      } catch (err) {
        const code = err instanceof ProtocolError ? err.closeCode : CLOSE_CODES.unexpectedFrame;
        log.warn(
          { node_id: id, reason: errorMessage(err) },
          'closing data plane telemetry connection: protocol error',
        );
        ws.close(code, errorMessage(err).slice(0, 120));
      }
    });
    ws.on('error', (err) => log.debug({ node_id: id, err: errorMessage(err) }, 'telemetry connection error'));
    ws.on('close', () => {
      set.delete(ws);
      // A DP that reconnected (certificate reload) before its old socket closed stays connected.
      if (set.size === 0) {
        live.delete(id);
        agg.disconnected(id);
      }
    });
  };

  const onUpgrade = (req: IncomingMessage, socket: Socket, head: Buffer) => {
    void verification.verdict(socket).then((v) => {
      if (v === null) return;
      const url = new URL(req.url ?? '/', 'https://telemetry');
      if (url.pathname !== TELEMETRY_PATH) return refuseUpgrade(socket, 404, 'Not found');
      const id = url.searchParams.get('node_id') ?? '';
      if (!UUID.test(id)) return refuseUpgrade(socket, 400, 'node_id must be a UUID');
      const who = { hostname: url.searchParams.get('node_hostname') ?? '', ip: socket.remoteAddress ?? '' };
      wss.handleUpgrade(req, socket, head, (ws) => accept(ws, id.toLowerCase(), who));
    });
  };

  const { servers, addresses } = await startTlsServers({
    listen: opts.listen,
    tls: opts.tls,
    verification,
    onUpgrade,
    logger: log,
    label: 'cluster telemetry',
  });
  const stopReloads = followCertificateReloads(servers, opts.tls, log);
  const pinger = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.get(ws)) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, opts.pingIntervalMs ?? 30_000);
  pinger.unref();

  return {
    addresses,
    async close() {
      clearInterval(pinger);
      stopReloads();
      for (const c of wss.clients) c.close(CLOSE_CODES.serverShutdown, 'control plane shutting down');
      const deadline = Date.now() + 1000;
      while (wss.clients.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      for (const c of wss.clients) c.terminate();
      wss.close();
      await closeTlsServers(servers);
    },
  };
}
