import type { Server } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../../../shared/logger.js';
import type { Conf } from '../../config/conf/types.js';

/** Why the guard refused a connection (the `reason` label of the refused-connections counter). */
export type RefusalReason = 'per_ip_limit' | 'handshakes_in_flight' | 'handshake_timeout';

/** The limits of one mTLS listener, applied before any byte of the handshake is read. */
export interface ConnectionLimits {
  /** Open connections per source address (handshaking or established); 0 = no limit. */
  maxPerIp: number;
  /** Sockets accepted whose TLS handshake has not completed yet; 0 = no limit. */
  maxHandshakesInFlight: number;
  /**
   * A handshake not finished this many ms after the accept is cut. A hard deadline, unlike
   * tls.Server's handshakeTimeout, which is an idle timer that a peer dripping bytes keeps resetting.
   */
  handshakeTimeoutMs: number;
}

/**
 * Defaults (conf: cluster_max_connections_per_ip, cluster_max_handshakes_in_flight,
 * cluster_handshake_timeout). A DP holds one cluster connection (two for a moment while it
 * reconnects) and one telemetry connection on the other listener, so 128 per address leaves room
 * for ~60 DPs behind one NAT address (a Kubernetes node's SNAT, an egress gateway) even mid-reconnect;
 * fleets with more DPs behind one address must raise it. A legitimate handshake takes a few ms of CPU,
 * so 128 in flight is far above what a whole fleet reconnecting at once needs, and low enough that a
 * flood cannot queue seconds of handshake CPU ahead of a DP. 10 s covers a slow link; idle sockets
 * give their slot back after it.
 */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  maxPerIp: 128,
  maxHandshakesInFlight: 128,
  handshakeTimeoutMs: 10_000,
};

/** The cluster listener's limits from the conf (start-node passes them as ClusterListenerOptions.limits). */
export function connectionLimitsFromConf(
  conf: Pick<
    Conf,
    'cluster_max_connections_per_ip' | 'cluster_max_handshakes_in_flight' | 'cluster_handshake_timeout'
  >,
): ConnectionLimits {
  return {
    maxPerIp: conf.cluster_max_connections_per_ip,
    maxHandshakesInFlight: conf.cluster_max_handshakes_in_flight,
    handshakeTimeoutMs: Math.round(conf.cluster_handshake_timeout * 1000),
  };
}

/** The guard of one listener: shared by all of its servers, so limits hold across its addresses. */
export interface ConnectionGuard {
  readonly limits: ConnectionLimits;
  /** Counts the connections of one more server (call before it listens). */
  attach(server: Server): void;
  /** Current counts (tests, metrics). */
  counts(): { open: number; handshaking: number; refused: Record<RefusalReason, number> };
}

/**
 * When the handshake slots are full, a newcomer takes the slot of the oldest handshake if that one has
 * been pending this long: a real handshake on loopback or a LAN takes milliseconds, so a slot held for
 * a second is almost surely a socket that will never finish. Without this, idle sockets from many
 * addresses would keep every slot until the deadline and lock out a DP that needs to reconnect; with
 * it, a flood cannot hold the slots, yet in-progress handshakes younger than this are never cut.
 */
export const STALE_HANDSHAKE_MS = 1000;

// Refusals are summarised in the log at most once per window: a flood must not become a log flood.
const LOG_WINDOW_MS = 10_000;

/**
 * Creates the guard. Sockets over a limit are destroyed in the `connection` event, before the TLS
 * layer reads anything (the listener is prepended to the TLS server's own), so a flood costs the CP an
 * accept and a close, never a handshake. `onRefused` feeds the metrics.
 */
export function createConnectionGuard(o: {
  limits?: Partial<ConnectionLimits>;
  logger: Logger;
  /** Names the listener in log lines ("cluster", "cluster telemetry"). */
  label: string;
  onRefused?: (reason: RefusalReason) => void;
}): ConnectionGuard {
  const limits: ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS, ...o.limits };
  const perIp = new Map<string, number>();
  // Keyed by the peer's address and port: the TLS socket the server hands out later has the same pair.
  // Insertion order is age order: the first entry is the oldest pending handshake.
  const handshaking = new Map<string, { timer: NodeJS.Timeout | null; sock: Socket; at: number }>();
  const refused: Record<RefusalReason, number> = {
    per_ip_limit: 0,
    handshakes_in_flight: 0,
    handshake_timeout: 0,
  };
  let pendingLog: Record<RefusalReason, number> = {
    per_ip_limit: 0,
    handshakes_in_flight: 0,
    handshake_timeout: 0,
  };
  let windowStart = -Infinity;

  const refuse = (reason: RefusalReason, ip: string) => {
    refused[reason]++;
    pendingLog[reason]++;
    o.onRefused?.(reason);
    const now = Date.now();
    if (now - windowStart < LOG_WINDOW_MS) return;
    windowStart = now;
    o.logger.warn({ ip, ...pendingLog, limits }, `${o.label} listener refusing connections over its limits`);
    pendingLog = { per_ip_limit: 0, handshakes_in_flight: 0, handshake_timeout: 0 };
  };

  const onConnection = (sock: Socket) => {
    const ip = sock.remoteAddress ?? '';
    const key = `${ip}|${sock.remotePort ?? ''}`;
    const open = perIp.get(ip) ?? 0;
    if (limits.maxPerIp > 0 && open >= limits.maxPerIp) {
      refuse('per_ip_limit', ip);
      return void sock.destroy();
    }
    if (limits.maxHandshakesInFlight > 0 && handshaking.size >= limits.maxHandshakesInFlight) {
      const [oldestKey, oldest] = handshaking.entries().next().value!;
      if (Date.now() - oldest.at < STALE_HANDSHAKE_MS) {
        refuse('handshakes_in_flight', ip);
        return void sock.destroy();
      }
      refuse('handshakes_in_flight', oldest.sock.remoteAddress ?? '');
      settle(oldestKey);
      oldest.sock.destroy();
    }
    perIp.set(ip, open + 1);
    let deadline: NodeJS.Timeout | null = null;
    if (limits.handshakeTimeoutMs > 0) {
      deadline = setTimeout(() => {
        if (!handshaking.has(key)) return;
        refuse('handshake_timeout', ip);
        sock.destroy();
      }, limits.handshakeTimeoutMs);
      deadline.unref();
    }
    handshaking.set(key, { timer: deadline, sock, at: Date.now() });
    sock.once('close', () => {
      settle(key);
      const n = (perIp.get(ip) ?? 1) - 1;
      if (n <= 0) perIp.delete(ip);
      else perIp.set(ip, n);
    });
  };
  const settle = (key: string) => {
    const timer = handshaking.get(key)?.timer;
    if (timer) clearTimeout(timer);
    handshaking.delete(key);
  };
  const onSecure = (tlsSock: TLSSocket) =>
    settle(`${tlsSock.remoteAddress ?? ''}|${tlsSock.remotePort ?? ''}`);

  return {
    limits,
    attach(server) {
      server.prependListener('connection', onConnection);
      server.on('secureConnection', onSecure);
    },
    counts: () => ({
      open: [...perIp.values()].reduce((a, b) => a + b, 0),
      handshaking: handshaking.size,
      refused: { ...refused },
    }),
  };
}
