import type { Logger } from '../../shared/logger.js';

/** What a reconcile is asked to converge: one object, by namespace and name. */
export interface ReconcileRequest {
  namespace: string;
  name: string;
  /** `namespace/name`. */
  key: string;
}

/** What a reconcile hands the caller besides the request. */
export interface ReconcileContext {
  /** A logger bound to the object key (every line carries it). */
  log: Logger;
  /** Aborted when the manager stops or leadership is lost. */
  signal: AbortSignal;
}

/** The outcome of a successful reconcile: optionally, check again after some time. */
export interface ReconcileResult {
  requeueAfterMs?: number;
}

/**
 * Converges the world for one key. Reads current state, never trusts the event that triggered it,
 * and is idempotent. Throws to be retried with backoff, or throws TerminalError to stop retrying.
 */
export interface Reconciler {
  reconcile(req: ReconcileRequest, ctx: ReconcileContext): Promise<ReconcileResult | void>;
}
