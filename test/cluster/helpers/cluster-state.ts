import { adminCall, httpRequest, pollUntil, type HttpResult } from './http.js';
import type { StartedNode } from './hybrid-cluster.js';

/** A row of `GET /clustering/data-planes` (the fields the suites look at). */
export interface DataPlaneRow {
  id: string;
  hostname: string;
  ip: string;
  version: string;
  config_hash: string;
  sync_status: string;
  status: 'connected' | 'disconnected';
  last_seen: number;
  updated_at: number;
  ttl: number;
  labels: Record<string, string>;
  cert_details: { expiry_timestamp: number | null };
}

/** Every row the CP lists (following `next` pages). */
export async function dataPlaneRows(cp: StartedNode): Promise<DataPlaneRow[]> {
  const rows: DataPlaneRow[] = [];
  let path: string | null = '/clustering/data-planes';
  while (path) {
    const page: { data: DataPlaneRow[]; next: string | null } = await adminCall(
      cp.port('admin'),
      'GET',
      path,
    );
    rows.push(...page.data);
    path = page.next;
  }
  return rows;
}

/** The row of the DP started with dataPlaneEnv(ws, `name`, ...) (its `node` label), or undefined. */
export async function rowOf(cp: StartedNode, name: string): Promise<DataPlaneRow | undefined> {
  return (await dataPlaneRows(cp)).find((r) => r.labels?.node === name);
}

/** The hash of the newest configuration the CP exported for DPs (from its log), or null. */
export function cpConfigHash(cp: StartedNode): string | null {
  const line = cp.proc.linesWith('configuration exported for data planes').at(-1);
  return typeof line?.config_hash === 'string' ? line.config_hash : null;
}

/** A DP's own `GET /status` (configuration_hash is the hash it serves). */
export async function dpStatus(dp: StartedNode): Promise<{ configuration_hash: string }> {
  const res = await httpRequest(dp.port('status'), 'GET', '/status');
  if (res.status !== 200) throw new Error(`GET /status on ${dp.proc.name} answered ${res.status}`);
  return JSON.parse(res.body) as { configuration_hash: string };
}

/** GET `path` through a DP's proxy. */
export function proxyGet(
  dp: StartedNode,
  path: string,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  return httpRequest(dp.port('proxy'), 'GET', path, { headers });
}

/** Polls until `path` answers 200 through every DP, checking the body names `upstream`. */
export async function waitServingEverywhere(
  dps: readonly StartedNode[],
  path: string,
  upstream: string,
  timeoutMs = 15_000,
): Promise<void> {
  await Promise.all(
    dps.map((dp) =>
      pollUntil(
        async () => {
          const r = await proxyGet(dp, path);
          if (r.status !== 200) return false;
          return (JSON.parse(r.body) as { upstream?: string }).upstream === upstream;
        },
        `${path} served by ${upstream} through ${dp.proc.name}`,
        { timeoutMs },
      ),
    ),
  );
}

/**
 * Polls until exactly `count` rows are connected, all with sync_status normal and the CP's newest
 * exported hash; returns those rows and the hash.
 */
export async function waitRowsInSync(
  cp: StartedNode,
  count: number,
  timeoutMs = 15_000,
): Promise<{ rows: DataPlaneRow[]; hash: string }> {
  return pollUntil(
    async () => {
      const hash = cpConfigHash(cp);
      const rows = (await dataPlaneRows(cp)).filter((r) => r.status === 'connected');
      const ok =
        hash !== null &&
        rows.length === count &&
        rows.every((r) => r.sync_status === 'normal' && r.config_hash === hash);
      return ok ? { rows, hash } : null;
    },
    `${count} connected data planes in sync on the control plane's hash`,
    { timeoutMs },
  );
}
