import type { X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import type { Logger } from '../../../shared/logger.js';
import { errorMessage } from '../../../shared/errors.js';
import { systemClock, type Clock } from '../../protocol/clock.js';
import { checkVersionCompat } from '../../protocol/compat.js';
import { CLOSE_CODES, DEFAULT_PING_INTERVAL_SECONDS, OUTLET_PATH } from '../../protocol/constants.js';
import { PayloadTooLargeError } from '../../protocol/errors.js';
import { buildReconfigurePayload, type ReconfigurePayload } from '../../protocol/reconfigure-payload.js';
import type { ClusterTlsPolicy } from '../../protocol/tls-policy.js';
import { attachClientVerification, followCertificateReloads } from './client-verification.js';
import { revalidateOnReload } from './revalidate-sessions.js';
import { closeTlsServers, refuseUpgrade, startTlsServers, type TlsServers } from './tls-servers.js';
import { HYBRIDGATE_VERSION } from '../../version.js';
import type { ClusterMetrics } from '../status/cluster-metrics.js';
import type { DataPlaneRegistry } from '../status/data-plane-registry.js';
import type { ConfigSource } from './config-source.js';
import { DataPlaneSession, type DataPlaneIdentity } from './dp-session.js';
import { createPushScheduler } from './push-scheduler.js';
import { OUTLET_V2_PATH } from '../../protocol/v2/messages.js';
import { createDeltaHub, type DeltaHub, type DeltaHubOptions } from './v2/delta-hub.js';
import type { DeltaSource } from './v2/delta-source.js';
import { createConnectionGuard, type ConnectionLimits } from './connection-guard.js';
import type { FrameRateLimits } from './frame-rate-limit.js';
import { createNodeIdentityGuard } from './node-identity.js';

/** What the CP's cluster listener is built from (start-node fills it from Conf). */
export interface ClusterListenerOptions {
  /** conf.cluster_listen (each address gets a server). */
  listen: readonly { host: string; port: number }[];
  tls: ClusterTlsPolicy;
  source: ConfigSource;
  dataPlanes: DataPlaneRegistry;
  metrics?: ClusterMetrics | null;
  logger: Logger;
  /** Plugins the CP knows, name → version (from the plugin schemas). */
  cpPlugins: ReadonlyMap<string, string | null>;
  /** conf.cluster_max_payload. */
  maxPayload: number;
  /** conf.cluster_ping_interval in seconds. */
  pingIntervalSeconds?: number;
  cpVersion?: string;
  clock?: Clock;
  /** How long a change waits for more before a push (default 10 ms). */
  coalesceMs?: number;
  /**
   * After a certificate reload, how long a DP whose certificate is no longer accepted may stay before
   * it is closed (default 30 s: time for its own Secret to update and for it to reconnect).
   */
  revalidateGraceMs?: number;
  /**
   * Protocol v2 (/v2/outlet, incremental sync): its versioned source. Without it the listener answers
   * 404 there and v2 DPs fall back to v1.
   */
  v2?: { source: DeltaSource; buildChanges?: DeltaHubOptions['buildChanges'] } | null;
  /** Connection limits before TLS (conf cluster_max_connections_per_ip, ...; connection-guard.ts). */
  limits?: Partial<ConnectionLimits>;
  /** Per-connection rate limits on the frames a DP may send (frame-rate-limit.ts defaults). */
  frameLimits?: Partial<FrameRateLimits>;
}

/** A running cluster listener. */
export interface ClusterListener {
  readonly addresses: { host: string; port: number }[];
  /** The v1 payload of the current config (null while stale or never built: no v1 DP connected). */
  currentPayload(): ReconfigurePayload | null;
  /** Number of DP sessions past basic_info. */
  connectedCount(): number;
  /** Protocol v2's hub (null without `v2`): frame counts for tests and benchmarks. */
  readonly v2: DeltaHub | null;
  /** Resolves when no push is pending or running (tests, benchmarks). */
  idle(): Promise<void>;
  /** Closes every DP connection (code 4004) and the servers. */
  close(): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Starts the CP side of clustering: an mTLS listener on cluster_listen serving /v1/outlet, one session
 * per DP, and the push loop that exports the config once per version and sends it to every compatible
 * DP. Resolves once every address is bound.
 */
export async function startClusterListener(opts: ClusterListenerOptions): Promise<ClusterListener> {
  const clock = opts.clock ?? systemClock;
  const log = opts.logger;
  const cpVersion = opts.cpVersion ?? HYBRIDGATE_VERSION;
  const pingIntervalMs = (opts.pingIntervalSeconds ?? DEFAULT_PING_INTERVAL_SECONDS) * 1000;
  const metrics = opts.metrics ?? null;
  const sessions = new Set<DataPlaneSession>();
  const sessionChains = new WeakMap<DataPlaneSession, X509Certificate[]>();
  let payload: ReconfigurePayload | null = null;
  // Set by every change, cleared when a run starts building: a stale payload is never sent to a new DP.
  let payloadStale = true;
  let loggedHash: string | null = null;
  const hasV1Sessions = () => [...sessions].some((s) => s.ready && !s.protocol);
  const v1Payload = () => {
    if (!payloadStale && payload !== null) return payload;
    scheduler.request();
    return null;
  };

  const ctx = {
    logger: log,
    clock,
    dataPlanes: opts.dataPlanes,
    metrics,
    cpPlugins: opts.cpPlugins,
    pingIntervalMs,
    // A v1 DP that becomes ready while the payload is stale (or never built) gets it from the run.
    currentPayload: () => v1Payload(),
    frameLimits: opts.frameLimits,
  };
  const identities = createNodeIdentityGuard({ mode: opts.tls.mode, dataPlanes: opts.dataPlanes });

  const broadcast = (p: ReconfigurePayload) => {
    for (const s of sessions) {
      // v2 sessions get deltas from the hub instead.
      if (!s.ready || s.protocol) continue;
      const result = s.push(p);
      metrics?.pushes.inc({ result });
    }
  };

  const scheduler = createPushScheduler({
    clock,
    delayMs: opts.coalesceMs ?? 10,
    onError: (err) => {
      metrics?.pushes.inc({ result: 'failed' });
      const limit = err instanceof PayloadTooLargeError ? { size: err.size, limit: err.limit } : {};
      log.error({ err: errorMessage(err), ...limit }, 'unable to export configuration for data planes');
    },
    run: async (requestedAt) => {
      // The v1 payload (the whole config as JSON + gzip) is built only while a v1 DP is connected, at
      // most once per config hash; v2 DPs never need it. The export itself is incremental and cheap,
      // and its hash is logged either way (operators and tests follow the CP's hash by that line).
      const v1 = hasV1Sessions();
      if (v1) payloadStale = false;
      const snap = await opts.source.snapshot();
      const hash = snap.hashes.config;
      if (!v1) {
        if (hash !== loggedHash) log.info({ config_hash: hash }, 'configuration exported for data planes');
        loggedHash = hash;
        return;
      }
      // Same hash, same payload: no DP needs a push, but compatibility is re-evaluated anyway.
      if (payload?.configHash !== hash) {
        payload = await buildReconfigurePayload(
          { config: snap.config, hashes: snap.hashes, timestamp: clock.now() / 1000 },
          opts.maxPayload,
        );
        metrics?.payloadBytes.set({ encoding: 'gzip' }, payload.frame.length);
        metrics?.payloadBytes.set({ encoding: 'json' }, payload.rawSize);
        log.info(
          { config_hash: payload.configHash, bytes: payload.frame.length },
          'configuration exported for data planes',
        );
        loggedHash = hash;
      }
      broadcast(payload);
      metrics?.pushDuration.observe((clock.now() - requestedAt) / 1000);
    },
  });
  const unsubscribe = opts.source.onChange(() => {
    payloadStale = true;
    scheduler.request();
  });
  const hub = opts.v2
    ? createDeltaHub({
        source: opts.v2.source,
        buildChanges: opts.v2.buildChanges,
        maxPayload: opts.maxPayload,
        logger: log,
        clock,
        metrics,
        coalesceMs: opts.coalesceMs ?? 10,
      })
    : null;
  const onRemoved = (id: string) => {
    for (const s of sessions)
      if (s.identity.id === id) s.close(CLOSE_CODES.removed, 'data plane removed by an administrator');
  };
  opts.dataPlanes.on('removed', onRemoved);

  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayload });

  const onUpgrade = (req: IncomingMessage, socket: Socket, head: Buffer) => {
    // The DP certificate's verdict may still wait for an OCSP answer; the upgrade waits with it.
    void verification.verdict(socket).then((v) => {
      if (v !== null) upgradeVerified(req, socket, head, v.expiry);
    });
  };
  const upgradeVerified = (req: IncomingMessage, socket: Socket, head: Buffer, expiry: number | null) => {
    const url = new URL(req.url ?? '/', 'https://cluster');
    const v2 = hub !== null && url.pathname === OUTLET_V2_PATH;
    if (url.pathname !== OUTLET_PATH && !v2) return refuseUpgrade(socket, 404, 'Not found');
    const id = url.searchParams.get('node_id');
    const version = url.searchParams.get('node_version');
    if (!id || !version) return refuseUpgrade(socket, 400, 'node_id and node_version are required');
    if (!UUID.test(id)) return refuseUpgrade(socket, 400, `node_id "${id}" is not a UUID`);
    const identity: DataPlaneIdentity = {
      id: id.toLowerCase(),
      hostname: url.searchParams.get('node_hostname') ?? '',
      version,
      ip: socket.remoteAddress ?? '',
      certExpiry: expiry,
    };
    wss.handleUpgrade(req, socket, head, (ws) => {
      const claim = identities.claim(identity.id, identity.ip, verification.chain(socket));
      // Before anything touches the row: a conflicting claimer must not write even its version status.
      if (!claim.ok) {
        log.error(
          { node_id: identity.id, ip: identity.ip, reason: claim.reason },
          'data plane node_id refused',
        );
        metrics?.connectionsRefused.inc({ reason: 'identity_conflict' });
        return ws.close(CLOSE_CODES.identityConflict, claim.reason.slice(0, 120));
      }
      ws.once('close', claim.release);
      const compat = checkVersionCompat(cpVersion, version);
      if (compat.status !== 'normal') {
        log.error(
          { node_id: identity.id, hostname: identity.hostname, ip: identity.ip, reason: compat.reason },
          `data plane version ${version} is incompatible with control plane version ${cpVersion}, closing`,
        );
        opts.dataPlanes.upsert(identity.id, {
          ip: identity.ip,
          hostname: identity.hostname,
          version,
          sync_status: 'kong_version_incompatible',
          status: 'disconnected',
          cert_details: { expiry_timestamp: identity.certExpiry },
        });
        ws.close(CLOSE_CODES.versionIncompatible, compat.reason.slice(0, 120));
        return;
      }
      for (const note of compat.notes) log.info({ node_id: identity.id }, note);
      const session = new DataPlaneSession(
        ws,
        identity,
        ctx,
        (s) => sessions.delete(s),
        v2 ? hub.protocol : null,
      );
      sessions.add(session);
      sessionChains.set(session, verification.chain(socket));
    });
  };

  const verification = attachClientVerification(opts.tls, log);
  let bound: TlsServers;
  try {
    bound = await startTlsServers({
      listen: opts.listen,
      tls: opts.tls,
      verification,
      onUpgrade,
      logger: log,
      label: 'cluster',
      guard: createConnectionGuard({
        limits: opts.limits,
        logger: log,
        label: 'cluster',
        onRefused: (reason) => metrics?.connectionsRefused.inc({ reason }),
      }),
    });
  } catch (err) {
    identities.stop();
    unsubscribe();
    scheduler.stop();
    hub?.stop();
    throw err;
  }
  const { servers, addresses } = bound;
  const stopFollowing = followCertificateReloads(servers, opts.tls, log);
  const stopRevalidating = revalidateOnReload({
    tls: opts.tls,
    graceMs: opts.revalidateGraceMs ?? 30_000,
    logger: log,
    sessions: () =>
      [...sessions].map((s) => ({
        chain: sessionChains.get(s) ?? [],
        nodeId: s.identity.id,
        isOpen: () => sessions.has(s),
        close: (code: number, reason: string) => s.close(code, reason),
      })),
  });
  const stopReloads = () => {
    stopFollowing();
    stopRevalidating();
  };
  scheduler.request();

  return {
    addresses,
    currentPayload: () => (payloadStale ? null : payload),
    connectedCount: () => [...sessions].filter((s) => s.ready).length,
    v2: hub,
    idle: async () => {
      await scheduler.idle();
      await hub?.idle();
    },
    async close() {
      stopReloads();
      unsubscribe();
      scheduler.stop();
      hub?.stop();
      opts.dataPlanes.off('removed', onRemoved);
      identities.stop();
      for (const s of sessions) s.close(CLOSE_CODES.serverShutdown, 'control plane shutting down');
      // Give DPs a moment to complete the close handshake, then cut whoever did not.
      const deadline = Date.now() + 1000;
      while (wss.clients.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      for (const c of wss.clients) c.terminate();
      wss.close();
      await closeTlsServers(servers);
    },
  };
}
