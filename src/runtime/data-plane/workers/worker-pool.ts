import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { Logger } from '../../../shared/logger.js';
import { HybridgateError } from '../../../shared/errors.js';
import type { Conf } from '../../config/conf/types.js';
import type { ConfigHashes, DataPlaneConfig } from '../engine/types.js';
import type { BoundAddress } from '../proxy/proxy-server.js';
import type { WorkerCounters } from '../status/status-server.js';
import {
  isHgMessage,
  type PrimaryMessage,
  type WorkerMessage,
  type WorkerRecords,
  type WorkerStats as WorkerStatsMessage,
} from './worker-messages.js';

/** The proxy workers could not be started (the first start of a worker failed or timed out). */
export class WorkerStartError extends HybridgateError {
  constructor(message: string, context: Record<string, unknown>) {
    super('HG_ERR_WORKER_START', message, context);
  }
}

/** How the pool is started. */
export interface WorkerPoolOptions {
  conf: Conf;
  count: number;
  logger: Logger;
  /** The worker entry module and the Node flags it runs with. */
  exec: string;
  execArgv?: string[];
  /** Restart delay after a worker died: doubles per quick death from `initialMs` up to `maxMs`. */
  backoff?: { initialMs: number; maxMs: number };
  /** How long a worker drains in-flight requests on SIGTERM before it is killed. */
  drainMs?: number;
  startTimeoutMs?: number;
  /** Receives each worker's batch of recorded exchanges (about once a second per worker). */
  onRecords?: (m: WorkerRecords) => void;
}

/** The primary's handle on its proxy workers. */
export interface WorkerPool extends WorkerCounters {
  /** Where the workers listen (they share the listening sockets). */
  readonly addresses: BoundAddress[];
  /** Sends a config to every worker; workers forked later get the last one at once. */
  broadcast(config: DataPlaneConfig, hashes: ConfigHashes | null): void;
  /** The pids of the workers currently serving. */
  pids(): number[];
  /** SIGTERM to every worker (each drains, then exits); resolves when all have exited. */
  close(graceMs?: number): Promise<void>;
}

interface Slot {
  id: number;
  worker: Worker | null;
  listening: boolean;
  startedAt: number;
  failures: number;
  restartTimer: NodeJS.Timeout | null;
}

// A worker that lived this long before dying starts the backoff afresh.
const STABLE_MS = 10_000;

/**
 * Forks `count` proxy workers with node:cluster and keeps them running: each gets the conf, then the
 * current config (the primary applied it first), and later configs as they come; a worker that dies
 * is restarted after a backoff and logged. Metrics and counters are gathered over IPC (prom-client's
 * AggregatorRegistry sums the workers' Prometheus series). Only serving workers are
 * asked, so a worker still starting never holds a scrape up.
 */
export async function startWorkerPool(o: WorkerPoolOptions): Promise<WorkerPool> {
  if (!cluster.isPrimary) throw new WorkerStartError('a worker pool is started from the primary only', {});
  const { logger } = o;
  const backoff = o.backoff ?? { initialMs: 100, maxMs: 10_000 };
  const drainMs = o.drainMs ?? 10_000;
  cluster.setupPrimary({ exec: o.exec, execArgv: o.execArgv ?? process.execArgv, silent: false });
  const slots: Slot[] = [];
  let current: { seq: number; config: DataPlaneConfig; hashes: ConfigHashes | null } | null = null;
  let seq = 0;
  let closing = false;
  let addresses: BoundAddress[] = [];
  let statsId = 0;
  const statsWaiters = new Map<number, (m: WorkerStatsMessage) => void>();
  let firstStart: { resolve: () => void; reject: (e: Error) => void; pending: number } | null = null;

  /** Counters and metrics of every serving worker; one that does not answer within a second is left out. */
  async function gather(): Promise<WorkerStatsMessage[]> {
    const live = slots.filter((s) => s.worker !== null && s.listening);
    const id = ++statsId;
    const got: WorkerStatsMessage[] = [];
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      statsWaiters.set(id, (m) => {
        got.push(m);
        if (got.length === live.length) done();
      });
      if (live.length === 0) done();
      for (const s of live) send(s.worker!, { type: 'hg:stats-req', id });
    });
    statsWaiters.delete(id);
    return got;
  }

  const send = (w: Worker, m: PrimaryMessage): void => {
    // A worker dying between the check and the write is reported by its exit, not by a send error.
    if (w.isConnected()) w.send(m, undefined, () => undefined);
  };

  function fork(slot: Slot): void {
    slot.restartTimer = null;
    const worker = cluster.fork({ HYBRIDGATE_WORKER_ID: String(slot.id) });
    slot.worker = worker;
    slot.listening = false;
    slot.startedAt = Date.now();
    worker.on('message', (m: unknown) => {
      if (!isHgMessage(m)) return;
      const msg = m as WorkerMessage;
      if (msg.type === 'hg:worker-up') {
        send(worker, { type: 'hg:start', conf: o.conf, workerId: slot.id, logLevel: logger.level, drainMs });
      } else if (msg.type === 'hg:listening') {
        if (msg.error !== undefined) {
          logger.error(
            { worker: slot.id, pid: worker.process.pid, err: msg.error },
            'proxy worker failed to listen',
          );
          if (firstStart !== null)
            firstStart.reject(
              new WorkerStartError(`proxy worker ${slot.id}: ${msg.error}`, { worker: slot.id }),
            );
          worker.kill('SIGKILL');
          return;
        }
        slot.listening = true;
        if (msg.addresses !== undefined && addresses.length === 0) addresses = msg.addresses;
        if (current !== null) send(worker, { type: 'hg:config', ...current });
        logger.info({ worker: slot.id, pid: worker.process.pid }, 'proxy worker serving');
        if (firstStart !== null && --firstStart.pending === 0) firstStart.resolve();
      } else if (msg.type === 'hg:applied') {
        if (msg.error !== undefined)
          logger.error({ worker: slot.id, seq: msg.seq, err: msg.error }, 'proxy worker refused a config');
        else logger.debug({ worker: slot.id, hash: msg.hash }, 'proxy worker applied a config');
      } else if (msg.type === 'hg:stats') statsWaiters.get(msg.id)?.(msg);
      else if (msg.type === 'hg:records') o.onRecords?.(msg);
    });
    worker.once('exit', (code, signal) => {
      slot.worker = null;
      slot.listening = false;
      if (closing) return;
      if (firstStart !== null) {
        firstStart.reject(
          new WorkerStartError(
            `proxy worker ${slot.id} exited during start (code ${code}, signal ${signal})`,
            { worker: slot.id },
          ),
        );
        return;
      }
      slot.failures = Date.now() - slot.startedAt >= STABLE_MS ? 1 : slot.failures + 1;
      const delay = Math.min(backoff.maxMs, backoff.initialMs * 2 ** (slot.failures - 1));
      logger.error(
        { worker: slot.id, pid: worker.process.pid, code, signal, restartInMs: delay },
        'proxy worker exited; restarting it',
      );
      slot.restartTimer = setTimeout(() => fork(slot), delay);
    });
  }

  for (let id = 1; id <= o.count; id++)
    slots.push({ id, worker: null, listening: false, startedAt: 0, failures: 0, restartTimer: null });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new WorkerStartError(`proxy workers not listening after ${o.startTimeoutMs ?? 30_000} ms`, {}),
          ),
        o.startTimeoutMs ?? 30_000,
      );
      firstStart = {
        resolve: () => (clearTimeout(timer), resolve()),
        reject: (e) => (clearTimeout(timer), reject(e)),
        pending: o.count,
      };
      for (const slot of slots) fork(slot);
    });
  } catch (err) {
    closing = true;
    await stopAll(slots, 0);
    throw err;
  } finally {
    firstStart = null;
  }

  return {
    addresses,
    broadcast(config, hashes) {
      current = { seq: ++seq, config, hashes };
      for (const s of slots)
        if (s.worker !== null && s.listening) send(s.worker, { type: 'hg:config', ...current });
    },
    pids: () => slots.filter((s) => s.worker !== null && s.listening).map((s) => s.worker!.process.pid!),
    async metrics() {
      const replies = await gather();
      if (replies.length === 0) return '';
      return AggregatorRegistry.aggregate(
        replies.map((r) => r.metrics as unknown as MetricObjectWithValues<MetricValue<string>>[]),
      ).metrics();
    },
    async stats() {
      const replies = await gather();
      return replies.reduce(
        (a, m) => ({
          totalRequests: a.totalRequests + m.totalRequests,
          accepted: a.accepted + m.accepted,
          active: a.active + m.active,
        }),
        { totalRequests: 0, accepted: 0, active: 0 },
      );
    },
    async close(graceMs = drainMs) {
      closing = true;
      await stopAll(slots, graceMs);
    },
  };
}

/** SIGTERM to every worker (they drain), SIGKILL to any still alive after `graceMs` plus a margin. */
async function stopAll(slots: Slot[], graceMs: number): Promise<void> {
  await Promise.all(
    slots.map((s) => {
      if (s.restartTimer !== null) clearTimeout(s.restartTimer);
      s.restartTimer = null;
      const w = s.worker;
      if (w === null || w.isDead()) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const kill = setTimeout(() => w.kill('SIGKILL'), graceMs + 2000);
        w.once('exit', () => (clearTimeout(kill), resolve()));
        w.process.kill('SIGTERM');
      });
    }),
  );
}
