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
  const cached = await cache.load();
  if (cached && (await applier.applyLocal(cached.config, cached.hashes, 'cache', false))) {
    startedFrom = 'cache';
  } else if (conf.declarative_config) {
    try {
      const decl = await opts.loadDeclarative(conf.declarative_config);
      if (await applier.applyLocal(decl.config, decl.hashes, 'declarative_config', true))
        startedFrom = 'declarative_config';
    } catch (err) {
      log.warn(
        { path: conf.declarative_config, err: (err as Error).message },
        'unable to load declarative_config, starting empty',
      );
    }
  }
  if (startedFrom === 'empty') log.info('no cached or declarative configuration, starting with an empty one');

  client = createCpClient({
    endpoints: conf.cluster_control_plane,
    tls: opts.tls,
    nodeId,
    hostname: opts.hostname ?? osHostname(),
    version,
    basicInfo: () => ({
      type: 'basic_info',
      plugins: [...opts.plugins].sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase())),
      labels: conf.cluster_dp_labels,
      process_conf: opts.processConf,
    }),
    maxPayload: conf.cluster_max_payload,
    pingIntervalMs: conf.cluster_ping_interval * 1000,
    reconnectBaseMs: conf.cluster_reconnect_base * 1000,
    reconnectCapMs: conf.cluster_reconnect_cap * 1000,
    clock,
    logger: log,
    currentHash: () => applier.currentHash,
    onFrame: (frame) => applier.offer(frame),
  });
  client.start();

  return {
    nodeId,
    startedFrom,
    linkState: () => client.state,
    currentHash: () => applier.currentHash,
    idle: () => applier.idle(),
    async close() {
      await client.stop();
      await applier.idle();
      await cache.close();
    },
  };
}
