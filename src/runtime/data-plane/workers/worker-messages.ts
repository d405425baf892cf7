/**
 * The IPC messages between a data plane's primary process and its proxy workers (node:cluster). Every
 * message has a `type` starting with `hg:`; anything else on the channel (prom-client's metric
 * requests) is left to its own listener.
 */
import type { Conf } from '../../config/conf/types.js';
import type { ConfigHashes, DataPlaneConfig } from '../engine/types.js';
import type { BoundAddress } from '../proxy/proxy-server.js';
import type { PromMetricJson } from '../status/proxy-metrics.js';

/** Worker → primary: the process is up and waits for its conf. */
export interface WorkerUp {
  type: 'hg:worker-up';
}

/** Primary → worker: the conf to start the proxy listeners with, and the worker's number. */
export interface WorkerStart {
  type: 'hg:start';
  conf: Conf;
  workerId: number;
  /** The primary's pino level. */
  logLevel: string;
  /** How long to let in-flight requests finish on SIGTERM. */
  drainMs: number;
}

/** Worker → primary: listeners bound (or the reason they could not be). */
export interface WorkerListening {
  type: 'hg:listening';
  error?: string;
  addresses?: BoundAddress[];
}

/** Primary → worker: a validated config (already applied by the primary) to apply. */
export interface WorkerConfig {
  type: 'hg:config';
  seq: number;
  config: DataPlaneConfig;
  hashes: ConfigHashes | null;
}

/** Worker → primary: the outcome of a WorkerConfig. */
export interface WorkerApplied {
  type: 'hg:applied';
  seq: number;
  hash: string;
  error?: string;
}

/** Primary → worker: report counters (for /status) and metrics (for /metrics). */
export interface WorkerStatsRequest {
  type: 'hg:stats-req';
  id: number;
}

/** Worker → primary: counters for /status, and its request metrics in prom-client's JSON form. */
export interface WorkerStats {
  type: 'hg:stats';
  id: number;
  totalRequests: number;
  accepted: number;
  active: number;
  metrics: PromMetricJson[];
}

/** Worker → primary: the exchanges recorded since the last batch (parallel arrays, one per field). */
export interface WorkerRecords {
  type: 'hg:records';
  services: (string | null)[];
  routes: (string | null)[];
  statuses: number[];
  latencies: number[];
  upstream: (number | null)[];
}

/** What a primary sends. */
export type PrimaryMessage = WorkerStart | WorkerConfig | WorkerStatsRequest;
/** What a worker sends. */
export type WorkerMessage = WorkerUp | WorkerListening | WorkerApplied | WorkerStats | WorkerRecords;

/** Whether an IPC message is one of ours (a plain object with an `hg:` type). */
export function isHgMessage(m: unknown): m is PrimaryMessage | WorkerMessage {
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof (m as { type?: unknown }).type === 'string' &&
    (m as { type: string }).type.startsWith('hg:')
  );
}
