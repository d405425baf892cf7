/**
 * The root of every typed error in Hybridgate. Each tier (runtime, operator) defines its errors in one
 * module of its own, subclassing this; `code` is stable (tests, logs and status conditions match on it)
 * and `context` carries the what/where that a log line or an API error body needs.
 */
export class HybridgateError extends Error {
  readonly code: string;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, context: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.context = context;
  }
}

/** Narrowing helper for catch blocks (`catch (err: unknown)`). */
export function isHybridgateError(err: unknown): err is HybridgateError {
  return err instanceof HybridgateError;
}

/** The message of anything thrown, for log lines and error bodies. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
