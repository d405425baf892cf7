import { hostname as osHostname } from 'node:os';
import type { Logger } from '../../../shared/logger.js';
import type { Conf } from '../../config/conf/types.js';
import { systemClock, type Clock } from '../../protocol/clock.js';
import type { ConfigHashes, PluginInfo } from '../../protocol/messages.js';
import type { ClusterTlsPolicy } from '../../protocol/tls-policy.js';
import { HYBRIDGATE_VERSION } from '../../version.js';
import { configCachePath, openConfigCache } from '../cache/config-cache.js';
import { createConfigApplier, type ConfigSink, type ConfigValidator } from './config-applier.js';
import { createCpClient, type CpLinkState } from './cp-client.js';
import { loadOrCreateNodeId } from '../../node-id.js';
import type { KnownFields } from './strip-unknown-nulls.js';
import { OUTLET_V2_PATH } from '../../protocol/v2/messages.js';
import { createDeltaApplier, type AppliedState, type DeltaApplier } from './v2/delta-applier.js';

/** The conf properties DP sync reads. */
export type DataPlaneSyncConf = Pick<
  Conf,
  | 'prefix'
  | 'declarative_config'
  | 'cluster_control_plane'
  | 'cluster_max_payload'
  | 'cluster_ping_interval'
  | 'cluster_reconnect_base'
  | 'cluster_reconnect_cap'
  | 'cluster_dp_labels'
  | 'data_plane_config_cache_mode'
  | 'data_plane_config_cache_path'
  | 'lmdb_environment_path'
  | 'lmdb_map_size'
> & { cluster_cert_key: { pem: string } | null };

/** What DP sync is wired with (start-node fills it). */
export interface DataPlaneSyncOptions {
  conf: DataPlaneSyncConf;
  tls: ClusterTlsPolicy;
  sink: ConfigSink;
  validate: ConfigValidator;
  knownFields: KnownFields;
  /** Parses `declarative_config` and hashes it (parseDeclarative + configHashes). */
  loadDeclarative: (path: string) => Promise<{ config: Record<string, unknown>; hashes: ConfigHashes }>;
  /** Plugins this DP has loaded, with versions (basic_info). */
  plugins: PluginInfo[];
  /** The conf with secrets redacted (basic_info.process_conf). */
  processConf: Record<string, unknown>;
  logger: Logger;
  clock?: Clock;
  hostname?: string;
  version?: string;
  /** Bounds how far a reconfigure frame may inflate (default 16 × cluster_max_payload). */
  maxInflated?: number;
  /** 2 (default): try /v2/outlet (incremental sync) and fall back to v1 on a 404; 1: v1 only. */
  protocolVersion?: 1 | 2;
}

/** The running DP sync. */
export interface DataPlaneSync {
  readonly nodeId: string;
  /** Where the initial config came from. */
  readonly startedFrom: 'cache' | 'declarative_config' | 'empty';
  linkState(): CpLinkState;
  currentHash(): string;
  /** Resolves when no received config is waiting or being applied. */
  idle(): Promise<void>;
  /** The link's protocol (2 until a CP without v2 answered 404). */
  protocol(): 1 | 2;
  /** Protocol v2's applier (null with protocolVersion 1): applied-frame counts for tests. */
  readonly v2: DeltaApplier | null;
  /** Says goodbye to the CP, stops reconnecting, closes the cache. */
  close(): Promise<void>;
}

/**
 * The DP start sequence (seed 002): (1) the cache, else (2) declarative_config, else (3) empty, and
 * (4) in every case connect to the CP; every config applied afterwards is written to the cache.
 */
export async function startDataPlaneSync(opts: DataPlaneSyncOptions): Promise<DataPlaneSync> {
  const { conf, logger } = opts;
  const log = logger.child({ subsystem: 'clustering' });
  const clock = opts.clock ?? systemClock;
  const version = opts.version ?? HYBRIDGATE_VERSION;
  const nodeId = loadOrCreateNodeId(conf.prefix, log);
  const [major, minor] = version.split('.');
  const cache = await openConfigCache({
    path: configCachePath(conf.prefix, conf.data_plane_config_cache_path, conf.lmdb_environment_path),
    mode: conf.data_plane_config_cache_mode,
    versionTag: `${major}.${minor}`,
    clusterKeyPem: conf.cluster_cert_key?.pem ?? null,
    mapSize: conf.lmdb_map_size,
    logger: log,
  });

  let client: ReturnType<typeof createCpClient> | null = null;
  const applier = createConfigApplier({
    validate: opts.validate,
    knownFields: opts.knownFields,
    sink: opts.sink,
    cache,
    logger: log,
    limits: {
      maxPayload: conf.cluster_max_payload,
      maxInflated: opts.maxInflated ?? conf.cluster_max_payload * 16,
    },
    onApplied: () => client?.ping(),
    onRejected: (error) => client?.sendError(error),
  });

  let startedFrom: DataPlaneSync['startedFrom'] = 'empty';
  let initial: AppliedState | null = null;
  const cached = await cache.load();
  if (cached && (await applier.applyLocal(cached.config, cached.hashes, 'cache', false))) {
    startedFrom = 'cache';
    initial = { config: cached.config, hashes: cached.hashes, version: cached.version ?? 0 };
  } else if (conf.declarative_config) {
    try {
      const decl = await opts.loadDeclarative(conf.declarative_config);
      if (await applier.applyLocal(decl.config, decl.hashes, 'declarative_config', true)) {
        startedFrom = 'declarative_config';
        initial = { config: decl.config, hashes: decl.hashes, version: 0 };
      }
    } catch (err) {
      log.warn(
        { path: conf.declarative_config, err: (err as Error).message },
        'unable to load declarative_config, starting empty',
      );
    }
  }
  if (startedFrom === 'empty') log.info('no cached or declarative configuration, starting with an empty one');

  const v2 =
    (opts.protocolVersion ?? 2) === 2
      ? createDeltaApplier({
          applier,
          cache,
          logger: log,
          limits: {
            maxPayload: conf.cluster_max_payload,
            maxInflated: opts.maxInflated ?? conf.cluster_max_payload * 16,
          },
          initial,
          onApplied: () => client?.ping(),
          onRejected: (error) => client?.sendError(error),
          requestResync: (reason) =>
            client?.sendJson({ type: 'resync', reason: reason.slice(0, 1000) }) ?? false,
        })
      : null;
  const basicInfo = () => ({
    type: 'basic_info' as const,
    plugins: [...opts.plugins].sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase())),
    labels: conf.cluster_dp_labels,
    process_conf: opts.processConf,
  });

  client = createCpClient({
    endpoints: conf.cluster_control_plane,
    tls: opts.tls,
    nodeId,
    hostname: opts.hostname ?? osHostname(),
    version,
    basicInfo,
    v2: v2 && {
      path: OUTLET_V2_PATH,
      basicInfo: () => {
        v2.linkOpened();
        const applied = v2.applied();
        return { ...basicInfo(), applied_version: applied.version, applied_hash: applied.hash };
      },
    },
    maxPayload: conf.cluster_max_payload,
    pingIntervalMs: conf.cluster_ping_interval * 1000,
    reconnectBaseMs: conf.cluster_reconnect_base * 1000,
    reconnectCapMs: conf.cluster_reconnect_cap * 1000,
    clock,
    logger: log,
    currentHash: () => applier.currentHash,
    onFrame: (frame, protocol) => (protocol === 2 && v2 ? v2.offer(frame) : applier.offer(frame)),
  });
  client.start();

  return {
    nodeId,
    startedFrom,
    linkState: () => client.state,
    currentHash: () => applier.currentHash,
    idle: async () => {
      await applier.idle();
      await v2?.idle();
    },
    protocol: () => client.protocol,
    v2,
    async close() {
      await client.stop();
      await applier.idle();
      await v2?.idle();
      await cache.close();
    },
  };
}
