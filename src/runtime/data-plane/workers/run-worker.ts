import { createLogger, type Logger } from '../../../shared/logger.js';
import { errorMessage } from '../../../shared/errors.js';
import type { LevelWithSilent } from 'pino';
import { startDataPlane, type RunningDataPlane } from '../start-data-plane.js';
import { ExchangeBatch } from './exchange-batch.js';
import { isHgMessage, type PrimaryMessage, type WorkerMessage } from './worker-messages.js';

/**
 * The body of a proxy worker process (node:cluster): asks the primary for the conf, starts the proxy
 * listeners (shared with the other workers through the cluster module), applies every config the
 * primary forwards, answers counter and metric requests (its request series in prom-client's JSON
 * form, which the primary sums with AggregatorRegistry), and on SIGTERM drains in-flight requests and
 * exits 0. SIGINT is left to the primary, which stops the workers in order.
 */
export function runProxyWorker(): void {
  const send = (m: WorkerMessage): void => {
    // The primary may be gone between the check and the write: the error callback keeps it an event.
    if (process.connected) process.send!(m, undefined, undefined, () => undefined);
  };
  let dp: RunningDataPlane | null = null;
  let logger: Logger | null = null;
  let drainMs = 10_000;
  let workerLabel = '0';
  const batch = new ExchangeBatch();
  let flushTimer: NodeJS.Timeout | null = null;
  const flush = (): void => {
    if (batch.size > 0) send(batch.take());
  };
  let stopping = false;
  const stop = (code: number): void => {
    if (stopping) return;
    stopping = true;
    const closing = dp === null ? Promise.resolve() : dp.close(drainMs);
    closing
      .catch((err: unknown) => logger?.error({ err: errorMessage(err) }, 'proxy worker close failed'))
      .finally(() => {
        if (flushTimer !== null) clearInterval(flushTimer);
        // The last exchanges (the drained requests) go out before the exit.
        if (batch.size > 0 && process.connected)
          process.send!(batch.take(), undefined, undefined, () => process.exit(code));
        else process.exit(code);
      });
  };
  process.on('SIGTERM', () => stop(0));
  process.on('SIGINT', () => undefined);
  // The primary is gone: nobody will send configs or restart us.
  process.on('disconnect', () => stop(0));

  process.on('message', (m: unknown) => {
    if (!isHgMessage(m)) return;
    const msg = m as PrimaryMessage;
    if (msg.type === 'hg:start') {
      if (dp !== null || stopping) return;
      drainMs = msg.drainMs;
      const log = createLogger({ component: 'data-plane', level: msg.logLevel as LevelWithSilent }).child({
        worker: msg.workerId,
      });
      logger = log;
      // The primary owns the status API and the CP connection; workers only proxy.
      startDataPlane({ ...msg.conf, status_listen: [], worker_processes: 1 }, log)
        .then((running) => {
          dp = running;
          workerLabel = String(msg.workerId);
          batch.tap(running.metrics);
          flushTimer = setInterval(flush, 1000);
          flushTimer.unref();
          if (stopping) return void running.close(0);
          send({ type: 'hg:listening', addresses: running.addresses.proxy });
        })
        .catch((err: unknown) => {
          send({ type: 'hg:listening', error: errorMessage(err) });
          stop(1);
        });
    } else if (msg.type === 'hg:config') {
      const running = dp;
      if (running === null) return;
      running.engine
        .apply(msg.config, msg.hashes ?? undefined)
        .then((r) =>
          send({
            type: 'hg:applied',
            seq: msg.seq,
            hash: r.hash,
            ...(r.error !== undefined ? { error: r.error.message } : {}),
          }),
        )
        .catch((err: unknown) =>
          send({ type: 'hg:applied', seq: msg.seq, hash: '', error: errorMessage(err) }),
        );
    } else if (msg.type === 'hg:stats-req') {
      const running = dp;
      const c = running?.connections() ?? { accepted: 0, active: 0 };
      send({
        type: 'hg:stats',
        id: msg.id,
        totalRequests: running?.metrics.totalRequests ?? 0,
        ...c,
        metrics: running?.metrics.toPromJson(workerLabel) ?? [],
      });
    }
  });
  send({ type: 'hg:worker-up' });
}
