import {
  AdminApiError,
  adminCallFailed,
  adminTransport,
  type AdminEndpoint,
} from '../../admin-api/admin-request.js';
import type { DataPlaneRow } from '../../status/fleet-status.js';

/** The Admin API calls the fleet poller makes on one control plane. */
export interface FleetAdminClient {
  /** Every row of `/clustering/data-planes`, following `next` until the last page. */
  dataPlanes(): Promise<DataPlaneRow[]>;
  /** The hash of the configuration the CP pushes now. */
  configHash(): Promise<string>;
  /** Forgets a row (`DELETE /clustering/data-planes/{id}`); a row already gone is not an error. */
  forget(id: string): Promise<void>;
}

export { AdminApiError };

// A page loop that never ends (a `next` pointing back) is cut here: 1000 pages of up to 1000 rows.
const MAX_PAGES = 1000;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function checkRow(v: unknown, url: string, index: number): DataPlaneRow {
  const bad = (field: string, expected: string): AdminApiError =>
    new AdminApiError('ADMIN_API_BAD_RESPONSE', `${url}: data[${index}].${field} is not ${expected}`, {
      url,
      index,
      field,
    });
  if (!isObject(v)) throw bad('', 'an object');
  for (const f of ['id', 'hostname', 'ip', 'version', 'config_hash', 'sync_status'] as const) {
    if (typeof v[f] !== 'string') throw bad(f, 'a string');
  }
  if (v['status'] !== 'connected' && v['status'] !== 'disconnected')
    throw bad('status', '"connected" or "disconnected"');
  if (typeof v['last_seen'] !== 'number') throw bad('last_seen', 'a number');
  if (v['labels'] !== undefined && !isObject(v['labels'])) throw bad('labels', 'an object');
  return v as unknown as DataPlaneRow;
}

/**
 * The fleet poller's Admin API client. `endpoint` is the Admin API Service's URL (or the test-only
 * override) with the token and CA when the operator protects that Admin API; every call is bounded
 * by `timeoutMs` so an unreachable CP cannot stall the poller.
 */
export function fleetAdminClient(
  endpoint: string | AdminEndpoint,
  opts: { timeoutMs?: number; pageSize?: number; maxPages?: number } = {},
): FleetAdminClient & { close(): Promise<void> } {
  const transport = adminTransport(typeof endpoint === 'string' ? { url: endpoint } : endpoint, opts);
  const { base } = transport;
  const call = (method: 'GET' | 'DELETE', path: string) => transport.request(method, path);
  const failed = (method: string, path: string, status: number, body: unknown): AdminApiError =>
    adminCallFailed(base, method, path, { status, body });
  return {
    close: () => transport.close(),
    async dataPlanes() {
      const rows: DataPlaneRow[] = [];
      let path: string | null = `/clustering/data-planes?size=${opts.pageSize ?? 1000}`;
      for (let page = 0; path !== null; page++) {
        if (page >= (opts.maxPages ?? MAX_PAGES)) {
          throw new AdminApiError(
            'ADMIN_API_BAD_RESPONSE',
            `${base}/clustering/data-planes: more than ${opts.maxPages ?? MAX_PAGES} pages`,
            {
              url: base,
            },
          );
        }
        const { status, body } = await call('GET', path);
        if (status !== 200) throw failed('GET', path, status, body);
        if (!isObject(body) || !Array.isArray(body['data'])) {
          throw new AdminApiError('ADMIN_API_BAD_RESPONSE', `${base}${path}: the body has no data array`, {
            url: `${base}${path}`,
          });
        }
        const url = `${base}${path}`;
        body['data'].forEach((r, i) => rows.push(checkRow(r, url, i)));
        const next = body['next'];
        // `next` is a path on the same Admin API; anything else would send the poller elsewhere.
        if (
          next !== null &&
          next !== undefined &&
          (typeof next !== 'string' || !next.startsWith('/clustering/data-planes?'))
        ) {
          throw new AdminApiError(
            'ADMIN_API_BAD_RESPONSE',
            `${url}: next is not a /clustering/data-planes page`,
            { url, next },
          );
        }
        path = (next as string | null | undefined) ?? null;
      }
      return rows;
    },
    async configHash() {
      const path = '/clustering/config-hash';
      const { status, body } = await call('GET', path);
      if (status !== 200) throw failed('GET', path, status, body);
      if (
        !isObject(body) ||
        typeof body['config_hash'] !== 'string' ||
        !/^[0-9a-f]{32}$/.test(body['config_hash'])
      ) {
        throw new AdminApiError(
          'ADMIN_API_BAD_RESPONSE',
          `${base}${path}: config_hash is not 32 hex digits`,
          { url: `${base}${path}` },
        );
      }
      return body['config_hash'];
    },
    async forget(id) {
      const path = `/clustering/data-planes/${encodeURIComponent(id)}`;
      const { status, body } = await call('DELETE', path);
      if (status !== 204 && status !== 404) throw failed('DELETE', path, status, body);
    },
  };
}
