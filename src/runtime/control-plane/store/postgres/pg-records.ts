import type pg from 'pg';
import type { RecordTable } from '../store.js';

/**
 * The store's side records (Store.records) on PostgreSQL: one `hg_records` table keyed by
 * (namespace, id), written outside config transactions (no version bump, no change event), with the
 * same namespace and id rules as the LMDB backend.
 */

/** Runs a statement on a pooled connection, mapping failures to the store's typed errors. */
export type WithClient = <T>(action: string, fn: (c: pg.PoolClient) => Promise<T>) => Promise<T>;

/** The record table `namespace`. */
export function recordTable<T>(namespace: string, withClient: WithClient): RecordTable<T> {
  if (!/^[a-z0-9_-]{1,64}$/.test(namespace)) throw new TypeError(`invalid record namespace '${namespace}'`);
  const checkId = (id: string) => {
    if (id.length === 0 || id.length > 256 || id.includes('/'))
      throw new TypeError(`invalid record id '${id}'`);
  };
  return {
    load: () =>
      withClient(`reading ${namespace} records`, async (c) => {
        const res = await c.query<{ value: T }>(
          'SELECT value FROM hg_records WHERE namespace = $1 ORDER BY id',
          [namespace],
        );
        return res.rows.map((r) => r.value);
      }),
    put: async (id, value) => {
      checkId(id);
      await withClient(`writing a ${namespace} record`, (c) =>
        c.query(
          `INSERT INTO hg_records (namespace, id, value) VALUES ($1, $2, $3::json)
           ON CONFLICT (namespace, id) DO UPDATE SET value = EXCLUDED.value`,
          [namespace, id, JSON.stringify(value)],
        ),
      );
    },
    delete: async (id) => {
      checkId(id);
      await withClient(`deleting a ${namespace} record`, (c) =>
        c.query('DELETE FROM hg_records WHERE namespace = $1 AND id = $2', [namespace, id]),
      );
    },
  };
}
