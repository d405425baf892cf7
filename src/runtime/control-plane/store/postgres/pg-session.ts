import type pg from 'pg';
import type { Logger } from '../../../../shared/logger.js';
import { DbError } from '../../../errors.js';
import { isUnavailable, toDbError } from './pg-errors.js';

/**
 * How the store borrows pooled connections: every failure leaves as the store's typed error, a
 * connection that failed at the socket is discarded rather than returned to the pool, and the
 * reachable/unreachable transitions are logged once each (not once per failing request).
 */

/** Wraps an error a caller's own code threw, so it is rethrown untouched rather than re-typed. */
export class CallerFailure {
  constructor(readonly error: unknown) {}
}

/** The pool plus the store's failure policy. */
export class PgSession {
  private reachable = true;

  constructor(
    readonly pool: pg.Pool,
    private readonly assertOpen: () => void,
    private readonly logger?: Logger,
  ) {}

  /** Runs `fn` on one pooled connection. */
  async withClient<T>(action: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    this.assertOpen();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.failed(err, action);
    }
    let broken = false;
    try {
      return await fn(client);
    } catch (err) {
      if (err instanceof CallerFailure) throw err.error;
      broken = isUnavailable(err);
      throw this.failed(err, action);
    } finally {
      client.release(broken);
    }
  }

  /** A consistent read: one REPEATABLE READ snapshot of the database. */
  readTxn<T>(action: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.withClient(action, (c) => inReadSnapshot(c, () => fn(c)));
  }

  /** Records a success (after an outage: logs the recovery). */
  markReachable(ok: boolean, err?: Error): void {
    if (ok === this.reachable) return;
    this.reachable = ok;
    if (ok) this.logger?.info('database reachable again');
    else this.logger?.warn({ err: err?.message }, 'database unreachable');
  }

  private failed(err: unknown, action: string): Error {
    const typed = toDbError(err, action);
    if (typed instanceof DbError && typed.kind === 'DATABASE_UNAVAILABLE') this.markReachable(false, typed);
    return typed;
  }
}

/** Runs `fn` inside a REPEATABLE READ READ ONLY transaction on `c`. */
export async function inReadSnapshot<T>(c: pg.ClientBase, fn: () => Promise<T>): Promise<T> {
  await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const out = await fn();
    await c.query('COMMIT');
    return out;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
