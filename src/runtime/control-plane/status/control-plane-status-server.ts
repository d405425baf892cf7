import type { Registry } from 'prom-client';
import type { Logger } from '../../../shared/logger.js';
import type { ListenAddress } from '../../config/conf/types.js';
import {
  DATABASE_UNREACHABLE,
  NOT_FOUND,
  READY,
  notReady,
  statusBody,
  type StatusAnswer,
} from '../../status-api/status-answers.js';
import { startStatusHttpServer, type StatusHttpServer } from '../../status-api/status-http-server.js';
import { ServerCounters } from '../admin/server-counters.js';
import type { Store } from '../store/store.js';

/** Readiness message while the cluster listener is not bound yet (or closed at shutdown). */
export const CLUSTER_NOT_LISTENING = 'cluster listener not listening';

/** Inputs of a control plane's status API. */
export interface ControlPlaneStatusInput {
  listen: readonly ListenAddress[];
  logger: Logger;
  /** The store once it is open (null before: the status API starts first, so liveness answers). */
  store(): Store | null;
  /** Whether the cluster listener accepts data planes. */
  clusterListening(): boolean;
  /** The CP's Prometheus registry (cluster and telemetry metrics), as the Admin API's /metrics. */
  registry: Registry;
  /** Longest wait for the database's answer: a probe must not hang on a half-open connection. */
  pingTimeoutMs?: number;
}

/** False when the store is absent, fails or does not answer within `timeoutMs`. */
async function reachable(store: Store | null, timeoutMs: number): Promise<boolean> {
  if (store === null) return false;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([store.ping().catch(() => false), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A control plane's status API on status_listen (what the operator's liveness and readiness probes
 * call): `/status` with `database.reachable` from a real round trip to the store, `/status/ready`
 * (ready once the store answers and the cluster listener is bound; Kong's "failed to connect to
 * database" while PostgreSQL is down) and `/metrics` from the CP's registry.
 */
export async function startControlPlaneStatusServer(
  input: ControlPlaneStatusInput,
): Promise<StatusHttpServer> {
  const counters = new ServerCounters();
  const timeoutMs = input.pingTimeoutMs ?? 2000;

  async function handle(path: string): Promise<StatusAnswer> {
    const done = counters.requestStarted();
    try {
      if (path === '/status') {
        const ok = await reachable(input.store(), timeoutMs);
        return { status: 200, body: statusBody({ reachable: ok, server: counters.snapshot() }) };
      }
      if (path === '/status/ready') {
        if (!(await reachable(input.store(), timeoutMs))) return notReady(DATABASE_UNREACHABLE);
        return input.clusterListening() ? READY : notReady(CLUSTER_NOT_LISTENING);
      }
      if (path === '/metrics') {
        const text = await input.registry.metrics();
        return { status: 200, text, contentType: input.registry.contentType };
      }
      return NOT_FOUND;
    } finally {
      done();
    }
  }

  const server = await startStatusHttpServer({
    listen: input.listen,
    logger: input.logger,
    handle,
    onServer: (s) => counters.watch(s),
  });
  for (const a of server.addresses) input.logger.info({ host: a.host, port: a.port }, 'status api listening');
  return server;
}
