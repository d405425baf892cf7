import type { Logger } from '../../../shared/logger.js';
import type { ClusterTlsPolicy } from '../../protocol/tls-policy.js';
import type { ExchangeRecorder } from '../proxy/proxy-handler.js';
import { createTelemetryCollector } from './telemetry-collector.js';
import { startTelemetryReporter, type TelemetryReporter } from './telemetry-reporter.js';
import { createHealthWatcher, tapRecorder, type BalancerSource } from './telemetry-sources.js';

/** What a DP's telemetry is wired from (data-plane-node fills it). */
export interface DataPlaneTelemetryOptions {
  /** conf.cluster_telemetry_endpoint. */
  endpoint: { host: string; port: number };
  /** clusterTlsPolicyFromConf(conf, { channel: 'telemetry' }). */
  tls: ClusterTlsPolicy;
  nodeId: string;
  hostname: string;
  /** The proxy's recorder (RunningDataPlane.metrics): what it records is tapped. */
  recorder: ExchangeRecorder;
  /** The balancers in service: () => engine.current()?.balancers. */
  balancers: BalancerSource;
  logger: Logger;
  flushIntervalMs?: number;
  reconnectBaseMs?: number;
  reconnectCapMs?: number;
}

/** A DP's running telemetry. */
export interface DataPlaneTelemetry {
  readonly reporter: TelemetryReporter;
  /** Sends the last batch, closes the link and unhooks the recorder. */
  close(): Promise<void>;
}

/**
 * Starts a DP's telemetry (issue 5): counts what the proxy records, watches target health, and streams
 * batches to cluster_telemetry_endpoint.
 */
export function startDataPlaneTelemetry(opts: DataPlaneTelemetryOptions): DataPlaneTelemetry {
  const collector = createTelemetryCollector();
  const untap = tapRecorder(opts.recorder, collector);
  const health = createHealthWatcher(opts.balancers, (c) => collector.healthChange(c));
  const reporter = startTelemetryReporter({
    endpoint: opts.endpoint,
    tls: opts.tls,
    nodeId: opts.nodeId,
    hostname: opts.hostname,
    collector,
    logger: opts.logger,
    flushIntervalMs: opts.flushIntervalMs,
    beforeFlush: () => health.poll(),
    reconnectBaseMs: opts.reconnectBaseMs,
    reconnectCapMs: opts.reconnectCapMs,
  });
  return {
    reporter,
    async close() {
      untap();
      await reporter.close();
    },
  };
}
