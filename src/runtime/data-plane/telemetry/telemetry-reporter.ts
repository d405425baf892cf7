import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { WebSocket } from 'ws';
import type { Logger } from '../../../shared/logger.js';
import { createBackoff } from '../../protocol/backoff.js';
import { systemClock, type Clock, type TimerHandle } from '../../protocol/clock.js';
import { CLOSE_CODES } from '../../protocol/constants.js';
import { TELEMETRY_PATH } from '../../protocol/telemetry-messages.js';
import { describeTlsFailure } from '../../protocol/tls-failure.js';
import { peerCertificateChain, type ClusterTlsPolicy } from '../../protocol/tls-policy.js';
import type { TelemetryCollector } from './telemetry-collector.js';

/** What the DP's telemetry link needs. */
export interface TelemetryReporterOptions {
  /** conf.cluster_telemetry_endpoint. */
  endpoint: { host: string; port: number };
  /** The telemetry channel's policy (SNI cluster_telemetry_server_name, else cluster_server_name). */
  tls: ClusterTlsPolicy;
  nodeId: string;
  hostname: string;
  collector: TelemetryCollector;
  logger: Logger;
  /** How often a batch is sent (default 10 s). */
  flushIntervalMs?: number;
  /** Called before each flush (the health watcher's poll). */
  beforeFlush?: () => void;
  reconnectBaseMs?: number;
  reconnectCapMs?: number;
  clock?: Clock;
}

/** The running link. */
export interface TelemetryReporter {
  readonly connected: boolean;
  /** Sends what is pending now (tests; shutdown). */
  flush(): void;
  close(): Promise<void>;
}

/**
 * Streams the collector's batches to the CP's telemetry listener. Independent of config sync: its
 * failures are logged once per outage and retried with backoff, batches pile up in the collector
 * (bounded by its series limit) while the link is down, and nothing here touches the proxy.
 */
export function startTelemetryReporter(opts: TelemetryReporterOptions): TelemetryReporter {
  const log = opts.logger;
  const clock = opts.clock ?? systemClock;
  const backoff = createBackoff({
    baseMs: opts.reconnectBaseMs ?? 1000,
    capMs: opts.reconnectCapMs ?? 30_000,
  });
  const host = opts.endpoint.host.includes(':') ? `[${opts.endpoint.host}]` : opts.endpoint.host;
  const url = `wss://${host}:${opts.endpoint.port}${TELEMETRY_PATH}?${new URLSearchParams({ node_id: opts.nodeId, node_hostname: opts.hostname })}`;
  let ws: WebSocket | null = null;
  let open = false;
  let stopped = false;
  let failing = false;
  let retry: TimerHandle | null = null;
  let flushTimer: TimerHandle | null = null;
  let lastError: string | null = null;
  let reconnectNow = false;

  const flush = () => {
    try {
      opts.beforeFlush?.();
    } catch (err) {
      log.debug({ err: String(err) }, 'telemetry source failed');
    }
    if (!open || !ws || !opts.collector.pending()) return;
    const batch = opts.collector.drain(clock.now());
    const lost = batch.requests.reduce((n, s) => n + s.latency_ms.count, 0);
    ws.send(Buffer.from(JSON.stringify(batch)), { binary: true }, (err) => {
      if (err) opts.collector.addDropped(lost);
    });
  };
  const scheduleFlush = () => {
    flushTimer = clock.setTimeout(() => {
      flush();
      if (!stopped) scheduleFlush();
    }, opts.flushIntervalMs ?? 10_000);
  };

  const connect = () => {
    if (stopped) return;
    retry = null;
    const sock = new WebSocket(url, {
      ...opts.tls.clientOptions(),
      handshakeTimeout: 5000,
      perMessageDeflate: false,
    });
    ws = sock;
    let verified = false;
    sock.on('upgrade', (res: IncomingMessage) => {
      const v = opts.tls.verifyServer(peerCertificateChain(res.socket as TLSSocket));
      if (!v.ok) {
        lastError = v.reason;
        sock.terminate();
        return;
      }
      verified = true;
    });
    sock.on('open', () => {
      if (!verified) return;
      open = true;
      backoff.reset();
      log.info(
        { endpoint: `${host}:${opts.endpoint.port}` },
        failing ? 'telemetry connection re-established' : 'telemetry connected',
      );
      failing = false;
    });
    // The CP sends nothing on this channel; anything it sends is ignored.
    sock.on('message', () => undefined);
    sock.on('unexpected-response', (_req, res) => {
      lastError = `telemetry endpoint answered HTTP ${res.statusCode ?? 0}`;
      sock.terminate();
    });
    sock.on('error', (err) => {
      lastError = describeTlsFailure(err);
    });
    sock.on('close', (code, reason) => {
      open = false;
      if (ws === sock) ws = null;
      if (stopped) return;
      const delay = reconnectNow ? 0 : backoff.next();
      if (!failing && !reconnectNow) {
        log.warn(
          { close_code: code, reason: reason.toString() || lastError || '', retry_in_ms: delay },
          'telemetry connection lost or refused, retrying (proxying and config sync are unaffected)',
        );
      }
      failing = !reconnectNow;
      reconnectNow = false;
      lastError = null;
      retry = clock.setTimeout(connect, delay);
    });
  };

  const stopReloads =
    opts.tls.onReload?.(() => {
      if (stopped) return;
      reconnectNow = true;
      if (ws) {
        if (open) ws.close(CLOSE_CODES.goingAway, 'certificate reloaded');
        else ws.terminate();
      } else {
        clock.clearTimeout(retry);
        reconnectNow = false;
        connect();
      }
    }) ?? (() => undefined);

  connect();
  scheduleFlush();

  return {
    get connected() {
      return open;
    },
    flush,
    async close() {
      if (stopped) return;
      flush();
      stopped = true;
      stopReloads();
      clock.clearTimeout(retry);
      clock.clearTimeout(flushTimer);
      const sock = ws;
      if (!sock || sock.readyState === WebSocket.CLOSED) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          sock.terminate();
          resolve();
        }, 1000);
        sock.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        if (sock.readyState === WebSocket.OPEN) sock.close(CLOSE_CODES.goingAway, 'data plane shutting down');
        else sock.terminate();
      });
    },
  };
}
