import type { Logger } from '../../../../shared/logger.js';
import { errorMessage } from '../../../../shared/errors.js';
import type { Clock } from '../../../protocol/clock.js';
import { CLOSE_CODES } from '../../../protocol/constants.js';
import { PayloadTooLargeError, ProtocolError } from '../../../protocol/errors.js';
import type { BasicInfo } from '../../../protocol/messages.js';
import { configuredPluginNames, type ReconfigurePayload } from '../../../protocol/reconfigure-payload.js';
import { buildV2Payload } from '../../../protocol/v2/frames.js';
import { buildSnapshotFrames } from '../../../protocol/v2/snapshot-frames.js';
import { parseBasicInfoV2, parseResync } from '../../../protocol/v2/messages.js';
import type { ClusterMetrics } from '../../status/cluster-metrics.js';
import type { DataPlaneSession, SessionProtocol } from '../dp-session.js';
import { createPushScheduler } from '../push-scheduler.js';
import { buildDeltaChanges } from './build-delta.js';
import type { DeltaSource, VersionedExport } from './delta-source.js';

/** How the hub is built (the cluster listener passes its own logger, clock, metrics and limits). */
export interface DeltaHubOptions {
  source: DeltaSource;
  maxPayload: number;
  logger: Logger;
  clock: Clock;
  metrics: ClusterMetrics | null;
  coalesceMs: number;
  /** The delta builder; tests wrap it to corrupt a delta. */
  buildChanges?: typeof buildDeltaChanges;
}

/** Protocol v2 on the CP: the sessions on /v2/outlet and what each one is sent. */
export interface DeltaHub {
  /** The session hooks for /v2/outlet. */
  readonly protocol: SessionProtocol;
  /** Frames sent since start, by kind (metrics, tests and the benchmark). */
  readonly sent: { delta: number; snapshot: number; bytes: number };
  idle(): Promise<void>;
  stop(): void;
}

type Obj = Record<string, unknown>;

function parseObject(data: Buffer, isBinary: boolean, code: number, what: string): Obj {
  if (!isBinary) throw new ProtocolError(`${what} must be a binary frame`, code);
  let v: unknown;
  try {
    v = JSON.parse(data.toString('utf8'));
  } catch (err) {
    throw new ProtocolError(`${what} is not valid JSON`, code, {}, { cause: err });
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new ProtocolError(`${what} must be a JSON object`, code);
  return v as Obj;
}

/**
 * Serves protocol v2: a DP that connects with the version it applied gets the log's changes since then
 * (or a snapshot when it has none, is past the horizon, or the log has a gap); every later commit sends
 * each DP the delta from the version it was last sent. A delta is built once per version range and
 * shared by the DPs at that version; the snapshot once per version. All work runs one step at a time,
 * so a DP never gets two frames built from the same base.
 */
export function createDeltaHub(opts: DeltaHubOptions): DeltaHub {
  const log = opts.logger;
  const build = opts.buildChanges ?? buildDeltaChanges;
  // The version each DP will run once it has applied what it was sent (a failed apply comes back as
  // a resync request).
  const sessions = new Map<DataPlaneSession, { sent: number; hash: string }>();
  const sent = { delta: 0, snapshot: 0, bytes: 0 };
  // Payloads for the current version: the snapshot, and deltas by base version.
  let cacheVersion = -1;
  let snapshot: ReconfigurePayload[] | null = null;
  const deltas = new Map<number, ReconfigurePayload | null>();
  let plugins: ReadonlySet<string> = new Set();
  let chain: Promise<void> = Promise.resolve();
  let stopped = false;

  const serial = (what: string, fn: () => Promise<void>): Promise<void> => {
    chain = chain.then(fn).catch((err: unknown) => {
      opts.metrics?.pushes.inc({ result: 'failed' });
      const limit = err instanceof PayloadTooLargeError ? { size: err.size, limit: err.limit } : {};
      log.error({ err: errorMessage(err), ...limit }, `unable to ${what} for data planes (protocol v2)`);
    });
    return chain;
  };

  const forVersion = (cur: VersionedExport) => {
    if (cacheVersion === cur.version) return;
    cacheVersion = cur.version;
    snapshot = null;
    deltas.clear();
    // The export knows its plugins; counting them over the config would visit every consumer.
    plugins = cur.plugins ?? configuredPluginNames(cur.config);
  };
  const snapshotPayload = async (cur: VersionedExport) => {
    snapshot ??= await buildSnapshotFrames(
      { version: cur.version, config: cur.config, hashes: cur.hashes, timestamp: opts.clock.now() / 1000 },
      plugins,
      opts.maxPayload,
    );
    if (snapshot.length > 1)
      log.info(
        { version: cur.version, parts: snapshot.length },
        'snapshot exceeds one frame, sending it in parts',
      );
    return snapshot;
  };
  /** The delta from `from` to the current version, or null when only a snapshot will do. */
  const deltaPayload = async (from: number, cur: VersionedExport) => {
    if (deltas.has(from)) return deltas.get(from)!;
    const events = await opts.source.changesSince(from);
    const changes = events === null ? null : build(events, from, cur);
    let payload: ReconfigurePayload | null = null;
    if (changes !== null) {
      try {
        payload = await buildV2Payload(
          {
            type: 'delta',
            timestamp: opts.clock.now() / 1000,
            from_version: from,
            to_version: cur.version,
            changes,
            config_hash: cur.hashes.config,
            hashes: cur.hashes,
          },
          plugins,
          opts.maxPayload,
        );
      } catch (err) {
        if (!(err instanceof PayloadTooLargeError)) throw err;
        // A delta over the frame limit (a large POST /config) goes as a snapshot, which has parts.
        log.info(
          { from, to: cur.version, size: err.size, limit: err.limit },
          'delta exceeds one frame, sending a snapshot',
        );
      }
    }
    deltas.set(from, payload);
    return payload;
  };

  const send = (
    s: DataPlaneSession,
    frames: readonly ReconfigurePayload[],
    version: number,
    kind: 'delta' | 'snapshot',
  ) => {
    const state = sessions.get(s);
    if (!state || !s.ready) return;
    // A snapshot asked for by a resync goes even when the hash matches: the DP's version is unknown.
    const result = s.push(frames[0]!, kind === 'snapshot');
    opts.metrics?.pushes.inc({ result });
    if (result !== 'sent') return;
    // The other parts of a snapshot follow at once: nothing may come between them.
    for (const part of frames.slice(1)) s.push(part, true);
    state.sent = version;
    state.hash = frames[0]!.configHash;
    sent[kind]++;
    for (const f of frames) sent.bytes += f.frame.length;
  };

  /** Brings one DP from the version it has to the current one. */
  const catchUp = async (s: DataPlaneSession, cur: VersionedExport, resync: boolean) => {
    const state = sessions.get(s);
    if (!state || !s.ready) return;
    const upToDate = state.sent === cur.version && state.hash === cur.hashes.config;
    if (upToDate && !resync) return;
    const canDelta = !resync && state.sent > 0 && state.sent < cur.version;
    const delta = canDelta ? await deltaPayload(state.sent, cur) : null;
    if (delta) return send(s, [delta], cur.version, 'delta');
    const reason = resync
      ? 'resync requested'
      : state.sent === 0
        ? 'no config applied'
        : state.sent >= cur.version
          ? 'version not behind the control plane'
          : 'past the change log';
    log.debug({ node_id: s.identity.id, from: state.sent, to: cur.version, reason }, 'sending a snapshot');
    send(s, await snapshotPayload(cur), cur.version, 'snapshot');
  };

  const scheduler = createPushScheduler({
    clock: opts.clock,
    delayMs: opts.coalesceMs,
    onError: () => undefined,
    run: () =>
      serial('send configuration changes', async () => {
        const cur = await opts.source.current();
        forVersion(cur);
        for (const s of [...sessions.keys()]) {
          if (!s.ready) sessions.delete(s);
          else await catchUp(s, cur, false);
        }
      }),
  });
  const unsubscribe = opts.source.onChange(() => scheduler.request());

  const once = (s: DataPlaneSession, resync: boolean) =>
    void serial(resync ? 'answer a resync' : 'send the first configuration', async () => {
      const cur = await opts.source.current();
      forVersion(cur);
      await catchUp(s, cur, resync);
    });

  const protocol: SessionProtocol = {
    basicInfo(s, data, isBinary): BasicInfo {
      const obj = parseObject(data, isBinary, CLOSE_CODES.badBasicInfo, 'basic_info');
      if (obj.type !== 'basic_info') {
        throw new ProtocolError(
          `first frame must have type "basic_info", got ${JSON.stringify(obj.type)}`,
          CLOSE_CODES.badBasicInfo,
        );
      }
      const { applied_version, applied_hash, ...info } = parseBasicInfoV2(obj);
      // Closed sessions are otherwise only dropped by the next push run.
      for (const other of sessions.keys()) if (!other.ready) sessions.delete(other);
      sessions.set(s, { sent: applied_version, hash: applied_hash });
      return info;
    },
    ready: (s) => {
      if (!stopped) once(s, false);
    },
    frame(s, data, isBinary) {
      const obj = parseObject(data, isBinary, CLOSE_CODES.unexpectedFrame, 'frame');
      if (obj.type !== 'resync') return false;
      const { reason } = parseResync(obj);
      log.warn({ node_id: s.identity.id, reason: reason ?? null }, 'data plane asked for a full snapshot');
      if (!stopped) once(s, true);
      return true;
    },
  };

  return {
    protocol,
    sent,
    async idle() {
      await scheduler.idle();
      await chain;
    },
    stop() {
      stopped = true;
      unsubscribe();
      scheduler.stop();
      sessions.clear();
    },
  };
}
