import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { WebSocket } from 'ws';
import type { Logger } from '../../../shared/logger.js';
import { createBackoff } from '../../protocol/backoff.js';
import type { Clock, TimerHandle } from '../../protocol/clock.js';
import { CLOSE_CODES, DEAD_PEER_FACTOR, OUTLET_PATH } from '../../protocol/constants.js';
import { type BasicInfo, type ErrorReport, encodeJsonFrame } from '../../protocol/messages.js';
import { describeTlsFailure } from '../../protocol/tls-failure.js';
import { peerCertificateChain, type ClusterTlsPolicy } from '../../protocol/tls-policy.js';

/** The link state; `state` events fire on changes only. */
export type CpLinkState = 'connecting' | 'connected' | 'disconnected' | 'stopped';

/** What the DP's link to the CP needs. */
export interface CpClientOptions {
  /**
   * The CPs to dial (conf cluster_control_plane), at least one. The link stays on the address that
   * answered; when it fails (or cannot connect) the next address is tried at once, and only after
   * every address failed in a row does the reconnect backoff apply.
   */
  endpoints: readonly { host: string; port: number }[];
  tls: ClusterTlsPolicy;
  nodeId: string;
  hostname: string;
  version: string;
  basicInfo: () => BasicInfo;
  maxPayload: number;
  pingIntervalMs: number;
  reconnectBaseMs: number;
  reconnectCapMs: number;
  clock: Clock;
  logger: Logger;
  /** The hash the DP runs now: the ping payload. */
  currentHash: () => string;
  /** A binary frame from the CP (a gzip reconfigure, or a v2 delta or snapshot when `protocol` is 2). */
  onFrame: (frame: Buffer, protocol: 1 | 2) => void;
  /**
   * Protocol v2: tried first on every address; a CP that answers 404 on its path is served v1 from
   * then on (a CP without v2). `basicInfo` replaces v1's first frame on a v2 link.
   */
  v2?: { path: string; basicInfo: () => Record<string, unknown> } | null;
  random?: () => number;
}

/** The DP's side of the link: connect, identify, heartbeat, reconnect. Events: `state` (CpLinkState). */
export interface CpClient extends EventEmitter {
  readonly state: CpLinkState;
  start(): void;
  /** Pings now with the current hash (after an apply). */
  ping(): void;
  /** Sends an error report; dropped when not connected (the next push will be judged again). */
  sendError(error: ErrorReport['error']): void;
  /** Sends a JSON message as a binary frame (v2's resync); false when not connected. */
  sendJson(message: Record<string, unknown>): boolean;
  /** The protocol of the current (or next) connection. */
  readonly protocol: 1 | 2;
  /** Says goodbye (1001) and stops reconnecting. */
  stop(): Promise<void>;
}

/** Creates the link; call start() to connect. */
export function createCpClient(opts: CpClientOptions): CpClient {
  const log = opts.logger;
  const clock = opts.clock;
  const backoff = createBackoff({
    baseMs: opts.reconnectBaseMs,
    capMs: opts.reconnectCapMs,
    random: opts.random,
  });
  const emitter = new EventEmitter() as CpClient & { state: CpLinkState };
  let state: CpLinkState = 'disconnected';
  let ws: WebSocket | null = null;
  let pingTimer: TimerHandle | null = null;
  let deadTimer: TimerHandle | null = null;
  let retryTimer: TimerHandle | null = null;
  let everConnected = false;
  let loggedFailure = false;
  // Set when reloaded certificates ask for a new connection: the next attempt starts at once.
  let reconnectNow = false;
  let lastError: string | null = null;
  let stopReloads: (() => void) | null = null;
  Object.defineProperty(emitter, 'state', { get: () => state });
  // v2 until a CP answers 404 on its path; then v1 for good (rolling upgrades put v2 CPs first).
  let protocol: 1 | 2 = opts.v2 ? 2 : 1;
  let fallbackNow = false;
  Object.defineProperty(emitter, 'protocol', { get: () => protocol });

  const setState = (next: CpLinkState) => {
    if (state === next) return;
    state = next;
    emitter.emit('state', next);
  };
  if (opts.endpoints.length === 0)
    throw new TypeError('createCpClient needs at least one control plane endpoint');
  const addresses = opts.endpoints.map((e) => `${e.host.includes(':') ? `[${e.host}]` : e.host}:${e.port}`);
  // The address dialled now, and how many in a row have failed since the last good connection.
  let current = 0;
  let failedInARow = 0;
  const url = () => {
    const q = new URLSearchParams({
      node_id: opts.nodeId,
      node_hostname: opts.hostname,
      node_version: opts.version,
    });
    const path = protocol === 2 && opts.v2 ? opts.v2.path : OUTLET_PATH;
    return `wss://${addresses[current]}${path}?${q}`;
  };
  const clearTimers = () => {
    clock.clearTimeout(pingTimer);
    clock.clearTimeout(deadTimer);
    pingTimer = deadTimer = null;
  };
  const armDead = () => {
    clock.clearTimeout(deadTimer);
    deadTimer = clock.setTimeout(() => {
      log.warn(
        { timeout_ms: opts.pingIntervalMs * DEAD_PEER_FACTOR },
        'no frame from control plane in time, reconnecting',
      );
      ws?.terminate();
    }, opts.pingIntervalMs * DEAD_PEER_FACTOR);
  };
  const schedulePing = () => {
    clock.clearTimeout(pingTimer);
    pingTimer = clock.setTimeout(() => {
      sendPing();
      schedulePing();
    }, opts.pingIntervalMs);
  };
  const sendPing = () => {
    if (ws?.readyState === WebSocket.OPEN) ws.ping(Buffer.from(opts.currentHash(), 'latin1'));
  };

  const connect = () => {
    if (state === 'stopped') return;
    setState('connecting');
    const sock = new WebSocket(url(), {
      ...opts.tls.clientOptions(),
      maxPayload: opts.maxPayload,
      handshakeTimeout: 5000,
      perMessageDeflate: false,
    });
    ws = sock;
    let verified = false;
    // The backoff resets once the CP has sent a frame this DP could take, not on open: a CP whose
    // config frame is over this DP's cluster_max_payload opens fine and is closed by the frame, and
    // must not be retried at the base delay forever.
    let healthy = false;
    let frameTooBig = false;
    sock.on('upgrade', (res: IncomingMessage) => {
      const verdict = opts.tls.verifyServer(peerCertificateChain(res.socket as TLSSocket));
      if (!verdict.ok) {
        log.error(
          { reason: verdict.reason },
          'control plane presented an unexpected certificate, disconnecting',
        );
        sock.terminate();
        return;
      }
      verified = true;
    });
    sock.on('open', () => {
      if (!verified) return;
      const linkProtocol = protocol;
      sock.send(
        linkProtocol === 2 && opts.v2
          ? Buffer.from(JSON.stringify(opts.v2.basicInfo()), 'utf8')
          : encodeJsonFrame(opts.basicInfo()),
        { binary: true },
      );
      sock.on('message', (data, isBinary) => {
        if (isBinary)
          opts.onFrame(
            Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer),
            linkProtocol,
          );
      });
      failedInARow = 0;
      log.info(
        { control_plane: addresses[current] },
        everConnected ? 'reconnected to control plane' : 'connected to control plane',
      );
      everConnected = true;
      setState('connected');
      sendPing();
      schedulePing();
      armDead();
    });
    sock.on('message', (data, isBinary) => {
      armDead();
      if (!healthy) {
        healthy = true;
        backoff.reset();
        loggedFailure = false;
      }
      // Binary frames go to onFrame from the listener added on open (it knows the link's protocol).
      if (!isBinary) log.warn('control plane sent a text frame, ignoring it');
    });
    sock.on('pong', armDead);
    sock.on('ping', armDead);
    sock.on('unexpected-response', (_req, res) => {
      log.debug({ status: res.statusCode }, 'control plane refused the upgrade');
      if (res.statusCode === 404 && protocol === 2) {
        log.info({ control_plane: addresses[current] }, 'control plane does not serve protocol v2, using v1');
        protocol = 1;
        fallbackNow = true;
      }
      sock.terminate();
    });
    sock.on('error', (err) => {
      // ws closes with 1009 but the close event may report 1006 (no closing handshake): note it here.
      if ((err as { code?: string }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') frameTooBig = true;
      lastError = describeTlsFailure(err);
      if (!loggedFailure) log.debug({ err: lastError }, 'control plane connection error');
    });
    sock.on('close', (code, reason) => {
      clearTimers();
      if (ws === sock) ws = null;
      if (state === 'stopped') return;
      if (fallbackNow) {
        // Same address at once, now on v1: not a failure.
        fallbackNow = false;
        setState('disconnected');
        retryTimer = clock.setTimeout(connect, 0);
        return;
      }
      if (reconnectNow) backoff.reset();
      const from = addresses[current];
      const delay = reconnectNow ? 0 : nextAttemptDelay(state === 'connected');
      const why =
        code === CLOSE_CODES.messageTooBig || frameTooBig
          ? `a frame from the control plane exceeded cluster_max_payload (${opts.maxPayload} bytes); ` +
            "raise this data plane's cluster_max_payload to the control plane's"
          : reason.toString() || lastError || '';
      lastError = null;
      // One line per state change: losing the link, or the first failure of a series of retries.
      if (reconnectNow) {
        log.info({ close_code: code }, 'reconnecting to control plane with the reloaded certificate');
      } else if (state === 'connected' && (healthy || !loggedFailure)) {
        log.warn(
          {
            close_code: code,
            reason: why,
            retry_in_ms: delay,
            control_plane: from,
            next: addresses[current],
          },
          'lost connection to control plane, reconnecting',
        );
      } else if (!loggedFailure) {
        log.warn(
          {
            close_code: code,
            reason: why,
            retry_in_ms: delay,
            control_plane: from,
            next: addresses[current],
          },
          'unable to connect to control plane, retrying with backoff',
        );
      }
      // After a reload the next failure is news again (e.g. the CP has not rotated yet); a link that
      // opened but never became healthy keeps failing the same way, so it is logged once too.
      loggedFailure = !reconnectNow && (state !== 'connected' || !healthy);
      reconnectNow = false;
      setState('disconnected');
      retryTimer = clock.setTimeout(connect, delay);
    });
  };

  // After a lost or failed connection, the next address. A lost link waits one (jittered) backoff
  // step, so the DPs of a CP that died do not all land on the next one in the same instant; an address
  // that refused is followed by the next at once, and once every address has failed in a row the
  // backoff applies (a cluster with every CP down is not hammered). A reload stays on its address.
  const nextAttemptDelay = (wasConnected: boolean): number => {
    failedInARow++;
    const n = opts.endpoints.length;
    current = (current + 1) % n;
    return wasConnected || failedInARow % n === 0 ? backoff.next() : 0;
  };

  // Reloaded certificates (a rotated Secret): leave the CP gracefully and come back with the new
  // material at once; a waiting retry is brought forward, since the new material may be what it needed.
  const onReload = () => {
    if (state === 'stopped') return;
    reconnectNow = true;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      if (ws.readyState === WebSocket.OPEN) ws.close(CLOSE_CODES.goingAway, 'certificate reloaded');
      else ws.terminate();
      return;
    }
    clock.clearTimeout(retryTimer);
    retryTimer = null;
    reconnectNow = false;
    backoff.reset();
    connect();
  };

  emitter.start = () => {
    stopReloads ??= opts.tls.onReload?.(onReload) ?? null;
    if (state === 'disconnected' && !ws && !retryTimer) connect();
  };
  emitter.ping = sendPing;
  emitter.sendError = (error) => {
    if (ws?.readyState === WebSocket.OPEN)
      ws.send(encodeJsonFrame({ type: 'error', error }), { binary: true });
  };
  emitter.sendJson = (message) => {
    if (ws?.readyState !== WebSocket.OPEN) return false;
    ws.send(Buffer.from(JSON.stringify(message), 'utf8'), { binary: true });
    return true;
  };
  emitter.stop = async () => {
    setState('stopped');
    stopReloads?.();
    stopReloads = null;
    clock.clearTimeout(retryTimer);
    clearTimers();
    const sock = ws;
    if (!sock || sock.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const done = setTimeout(() => {
        sock.terminate();
        resolve();
      }, 1000);
      sock.once('close', () => {
        clearTimeout(done);
        resolve();
      });
      if (sock.readyState === WebSocket.OPEN) sock.close(CLOSE_CODES.goingAway, 'data plane shutting down');
      else sock.terminate();
    });
  };
  return emitter;
}
