import { HybridgateError } from '../shared/errors.js';

/**
 * The operator's typed errors. `code` is stable (logs, metrics and status conditions match on it);
 * `context` says what and where.
 */
export class OperatorError extends HybridgateError {}

/** The Kubernetes API answered with a non-2xx status (a metav1.Status body, when it sent one). */
export class KubeApiError extends OperatorError {
  readonly statusCode: number;
  readonly reason: string;
  constructor(
    method: string,
    path: string,
    statusCode: number,
    status: { reason?: string; message?: string; details?: unknown } | undefined,
  ) {
    const reason = status?.reason ?? 'Unknown';
    super(
      'KUBE_API_ERROR',
      `${method} ${path}: ${statusCode} ${reason}: ${status?.message ?? 'no message'}`,
      { method, path, statusCode, reason, details: status?.details },
    );
    this.statusCode = statusCode;
    this.reason = reason;
  }
}

/** The API server could not be reached or the connection broke (retryable). */
export class KubeTransportError extends OperatorError {
  constructor(method: string, path: string, cause: unknown) {
    super(
      'KUBE_TRANSPORT_ERROR',
      `${method} ${path}: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        method,
        path,
      },
      { cause },
    );
  }
}

/**
 * A reconcile failure that retrying cannot fix (e.g. an invalid spec the CRD rules could not express).
 * The controller logs it, counts it and does not requeue; the next change to the object triggers a
 * fresh reconcile.
 */
export class TerminalError extends OperatorError {
  constructor(message: string, context: Record<string, unknown> = {}, options?: ErrorOptions) {
    super('TERMINAL', message, context, options);
  }
}

/** A watch reported 410 Gone / Expired: the resourceVersion is too old and the informer must relist. */
export class WatchExpiredError extends OperatorError {
  constructor(path: string, message: string) {
    super('WATCH_EXPIRED', `watch ${path}: ${message}`, { path });
  }
}

/** True for 404 Not Found answers. */
export function isNotFound(err: unknown): boolean {
  return err instanceof KubeApiError && err.statusCode === 404;
}

/** True for 409 Conflict answers (stale resourceVersion, or AlreadyExists on create). */
export function isConflict(err: unknown): boolean {
  return err instanceof KubeApiError && err.statusCode === 409;
}

/** Swallows a 404 (the object went away meanwhile: its deletion triggers no further work here). */
export function ignoreNotFound(err: unknown): undefined {
  if (isNotFound(err)) return undefined;
  throw err;
}
