import type { WebSocket, RawData } from 'ws';
import type { Logger } from '../../../shared/logger.js';
import { errorMessage } from '../../../shared/errors.js';
import type { Clock, TimerHandle } from '../../protocol/clock.js';
import { checkPluginCompat } from '../../protocol/compat.js';
import {
  CLOSE_CODES,
  CONFIG_HASH_PATTERN,
  DEAD_PEER_FACTOR,
  type SyncStatus,
} from '../../protocol/constants.js';
import { ProtocolError } from '../../protocol/errors.js';
import { type BasicInfo, parseBasicInfo, parseDataPlaneFrame } from '../../protocol/messages.js';
import type { ReconfigurePayload } from '../../protocol/reconfigure-payload.js';
import type { ClusterMetrics } from '../status/cluster-metrics.js';
import type { DataPlaneRegistry } from '../status/data-plane-registry.js';
import {
  createFrameRateLimiter,
  type FrameKind,
  type FrameRateLimiter,
  type FrameRateLimits,
} from './frame-rate-limit.js';

/** Who connected: from the upgrade request and the TLS handshake. */
export interface DataPlaneIdentity {
  id: string;
  hostname: string;
  version: string;
  ip: string;
  certExpiry: number | null;
}

/** What a session shares with the listener. */
export interface SessionContext {
  logger: Logger;
  clock: Clock;
  dataPlanes: DataPlaneRegistry;
  metrics: ClusterMetrics | null;
  cpPlugins: ReadonlyMap<string, string | null>;
  pingIntervalMs: number;
  /** The payload of the current config version, if one was built yet. */
  currentPayload(): ReconfigurePayload | null;
  /** Per-connection frame rate limits (frame-rate-limit.ts defaults for kinds not given). */
  frameLimits?: Partial<FrameRateLimits>;
}

// How long a refused DP has to answer our close frame before its socket is cut (ws would wait 30 s).
const REJECT_CLOSE_GRACE_MS = 2000;

/**
 * The hooks of a protocol after v1 (v2: control-plane/sync/v2/delta-hub.ts): how the first frame is
 * read, what is sent once it arrived, and which other frames the DP may send.
 */
export interface SessionProtocol {
  /** Validates the first frame; throws a ProtocolError (the session closes) when it is not accepted. */
  basicInfo(session: DataPlaneSession, data: Buffer, isBinary: boolean): BasicInfo;
  /** basic_info was recorded: send the first configuration. */
  ready(session: DataPlaneSession): void;
  /** A frame after basic_info; true when handled, false to read it as v1's error report. */
  frame(session: DataPlaneSession, data: Buffer, isBinary: boolean): boolean;
}

/**
 * One connected DP: waits for basic_info, then answers pings (ws sends the pong), records
 * heartbeats and error reports, and receives every push it is compatible with.
 */
export class DataPlaneSession {
  readonly identity: DataPlaneIdentity;
  private readonly ws: WebSocket;
  private readonly ctx: SessionContext;
  private readonly log: Logger;
  private info: BasicInfo | null = null;
  private deadTimer: TimerHandle | null = null;
  private reportedHash: string | null = null;
  private closed = false;
  private lastStatus: string | null = null;
  /**
   * Set by reject(): frames already in flight from a hostile DP are counted, not logged one by one;
   * the connection's one log line is written when it closes, with the count.
   */
  private rejecting: { reason: string; code: number; dropped: number } | null = null;
  private readonly limiter: FrameRateLimiter;

  constructor(
    ws: WebSocket,
    identity: DataPlaneIdentity,
    ctx: SessionContext,
    private readonly onGone: (s: DataPlaneSession) => void,
    /** Null for v1 (/v1/outlet). */
    readonly protocol: SessionProtocol | null = null,
  ) {
    this.ws = ws;
    this.identity = identity;
    this.ctx = ctx;
    this.log = ctx.logger.child({ node_id: identity.id, hostname: identity.hostname, ip: identity.ip });
    this.limiter = createFrameRateLimiter(ctx.clock, ctx.frameLimits);
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('ping', (data) => this.onPing(data));
    ws.on('pong', () => this.overRate('heartbeat'));
    ws.on('close', (code, reason) => this.onClose(code, reason.toString()));
    ws.on('error', (err) => this.log.warn({ err: errorMessage(err) }, 'data plane connection error'));
    this.armDeadTimer();
  }

  /** True once basic_info arrived: the session can take pushes. */
  get ready(): boolean {
    return this.info !== null && !this.closed && this.rejecting === null;
  }

  /** Sends `payload` if this DP can run it; otherwise records why and skips (seed 002). */
  push(payload: ReconfigurePayload, force = false): 'sent' | 'skipped_incompatible' | 'unchanged' {
    // A connection being closed for a protocol error gets nothing more.
    if (!this.info || this.rejecting) return 'unchanged';
    const verdict = checkPluginCompat(payload.configuredPlugins, this.ctx.cpPlugins, this.info.plugins);
    if (verdict.status !== 'normal') {
      this.log.warn(
        { reason: verdict.reason, sync_status: verdict.status },
        `unable to send updated configuration to data plane: ${verdict.reason}`,
      );
      this.setSyncStatus(verdict.status);
      return 'skipped_incompatible';
    }
    this.setSyncStatus('normal');
    // A DP that already runs this hash (e.g. reconnecting from its cache) needs nothing.
    if (!force && this.reportedHash === payload.configHash) return 'unchanged';
    this.limiter.credit();
    this.ws.send(payload.frame, { binary: true }, (err) => {
      if (err) this.log.warn({ err: errorMessage(err) }, 'unable to send configuration to data plane');
    });
    this.log.debug(
      { config_hash: payload.configHash, bytes: payload.frame.length },
      'configuration sent to data plane',
    );
    return 'sent';
  }

  /** Closes the connection with a code and reason (shutdown, forgotten row). */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.ws.close(code, reason.slice(0, 120));
  }

  private setSyncStatus(status: SyncStatus): void {
    if (this.lastStatus === status) return;
    this.lastStatus = status;
    this.ctx.dataPlanes.upsert(this.identity.id, { sync_status: status, status: 'connected' });
  }

  private armDeadTimer(): void {
    this.ctx.clock.clearTimeout(this.deadTimer);
    this.deadTimer = this.ctx.clock.setTimeout(() => {
      this.log.warn(
        { timeout_ms: this.ctx.pingIntervalMs * DEAD_PEER_FACTOR },
        'data plane missed its heartbeats, closing',
      );
      this.ws.close(CLOSE_CODES.heartbeatTimeout, 'no heartbeat');
      // A peer that vanished without FIN never completes the close handshake.
      this.deadTimer = this.ctx.clock.setTimeout(() => this.ws.terminate(), 5000);
    }, this.ctx.pingIntervalMs * DEAD_PEER_FACTOR);
  }

  private reject(err: unknown): void {
    if (this.rejecting) return void this.rejecting.dropped++;
    const code = err instanceof ProtocolError ? err.closeCode : CLOSE_CODES.unexpectedFrame;
    this.rejecting = { reason: errorMessage(err), code, dropped: 0 };
    if (code === CLOSE_CODES.rateLimited)
      this.ctx.metrics?.connectionsRefused.inc({ reason: 'rate_limited' });
    this.ws.close(code, errorMessage(err).slice(0, 120));
    this.ctx.clock.clearTimeout(this.deadTimer);
    this.deadTimer = this.ctx.clock.setTimeout(() => this.ws.terminate(), REJECT_CLOSE_GRACE_MS);
  }

  /** True (and the connection is being closed) when a frame of `kind` exceeds the DP's rate. */
  private overRate(kind: FrameKind): boolean {
    if (this.rejecting) {
      this.rejecting.dropped++;
      return true;
    }
    if (this.limiter.allow(kind)) return false;
    const { burst, perSecond } = this.limiter.limitOf(kind);
    this.reject(
      new ProtocolError(
        `${kind} frames exceed the rate limit (burst ${burst}, ${perSecond}/s)`,
        CLOSE_CODES.rateLimited,
      ),
    );
    return true;
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.rejecting) return void this.rejecting.dropped++;
    // Counted before parsing: the parse is what a flood would make the CP pay for.
    if (this.info && this.overRate('report')) return;
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    try {
      if (!this.info) {
        const info = this.protocol
          ? this.protocol.basicInfo(this, buf, isBinary)
          : parseBasicInfo(buf, isBinary);
        return this.onBasicInfo(info);
      }
      if (this.protocol?.frame(this, buf, isBinary)) return;
      const report = parseDataPlaneFrame(buf, isBinary);
      this.log.warn(
        {
          config_hash: report.error.config_hash,
          error_name: report.error.name,
          reason: report.error.message,
        },
        'data plane rejected the configuration',
      );
      this.ctx.dataPlanes.recordError(this.identity.id, {
        name: report.error.name,
        message: report.error.message,
        config_hash: report.error.config_hash,
        ...(report.error.fields !== undefined ? { fields: report.error.fields } : {}),
      });
    } catch (err) {
      this.reject(err);
    }
  }

  private onBasicInfo(info: BasicInfo): void {
    this.info = info;
    const have = new Map(info.plugins.map((p) => [p.name, p.version]));
    for (const [name, version] of this.ctx.cpPlugins) {
      if (!have.has(name))
        this.log.warn({ plugin: name }, `${name} plugin ${version ?? ''} is missing from data plane`);
    }
    this.ctx.dataPlanes.upsert(this.identity.id, {
      ip: this.identity.ip,
      hostname: this.identity.hostname,
      version: this.identity.version,
      labels: info.labels ?? {},
      cert_details: { expiry_timestamp: this.identity.certExpiry },
      sync_status: 'unknown',
      status: 'connected',
    });
    this.log.info({ version: this.identity.version, plugins: info.plugins.length }, 'data plane connected');
    this.armDeadTimer();
    if (this.protocol) return this.protocol.ready(this);
    const payload = this.ctx.currentPayload();
    if (payload) {
      // Not inside `metrics?.…(…)`: optional chaining would skip the push itself without metrics.
      const result = this.push(payload);
      this.ctx.metrics?.pushes.inc({ result });
    }
  }

  private onPing(data: Buffer): void {
    if (this.overRate('heartbeat')) return;
    const hash = data.toString('latin1');
    if (!CONFIG_HASH_PATTERN.test(hash)) {
      return this.reject(
        new ProtocolError(
          `ping payload must be a 32-character config hash, got ${data.length} bytes`,
          CLOSE_CODES.unexpectedFrame,
        ),
      );
    }
    if (!this.info) return this.reject(new ProtocolError('ping before basic_info', CLOSE_CODES.badBasicInfo));
    this.armDeadTimer();
    this.reportedHash = hash;
    this.ctx.dataPlanes.seen(this.identity.id, hash);
  }

  private onClose(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.ctx.clock.clearTimeout(this.deadTimer);
    if (this.info && this.ctx.dataPlanes.get(this.identity.id)) {
      this.ctx.dataPlanes.upsert(this.identity.id, { status: 'disconnected' });
    }
    if (this.rejecting) {
      // The one line a refused connection gets, however many frames it sent after the first bad one.
      const { reason: why, code: sent, dropped } = this.rejecting;
      this.log.error(
        { reason: why, close_code: sent, frames_dropped: dropped },
        'closing data plane connection: protocol error',
      );
    } else {
      const level = code === CLOSE_CODES.goingAway || code === CLOSE_CODES.normal ? 'info' : 'warn';
      this.log[level]({ close_code: code, reason }, 'data plane disconnected');
    }
    this.onGone(this);
  }
}
