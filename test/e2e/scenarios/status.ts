import { DATAPLANE_NODE_LABEL, podOfRow } from '../../../src/operator/status/fleet-status.js';
import type { E2ECluster } from '../cluster/e2e-cluster.js';
import type { AdminApi } from '../support/admin-api.js';
import { getJson, listPods, podSelector } from '../support/kube.js';
import { NotYet, waitFor } from '../support/wait.js';
import type { SampleUnderTest } from './context.js';

/** One row of `kubectl get dataplanes`, by column header. */
export type PrintedRow = Record<string, string>;

/**
 * Parses kubectl's table output by the header's column starts (a header may hold a space, like
 * "CONFIG HASH", so splitting on whitespace would not do).
 */
export function parseTable(out: string): PrintedRow[] {
  const lines = out.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return [];
  const header = lines[0]!;
  const starts: { name: string; at: number }[] = [];
  const re = /\S+(?: \S+)*/g;
  for (let m = re.exec(header); m; m = re.exec(header)) starts.push({ name: m[0], at: m.index });
  return lines.slice(1).map((line) => {
    const row: PrintedRow = {};
    starts.forEach((c, i) => {
      const end = i + 1 < starts.length ? starts[i + 1]!.at : line.length;
      row[c.name] = line.slice(c.at, end).trim();
    });
    return row;
  });
}

/**
 * What `kubectl get dataplanes` must show for a converged DataPlane: READY = DESIRED = `replicas`,
 * SYNCED `n/n`, the VERSION, and the CP's hash (first 8 digits) under CONFIG HASH.
 */
export function printedRowProblems(
  row: PrintedRow | undefined,
  want: { name: string; replicas: number; version: string; cpHash: string },
): string[] {
  if (!row) return [`${want.name}: no row`];
  const p: string[] = [];
  const n = String(want.replicas);
  if (row['READY'] !== n) p.push(`READY ${row['READY']} (want ${n})`);
  if (row['DESIRED'] !== n) p.push(`DESIRED ${row['DESIRED']} (want ${n})`);
  if (row['SYNCED'] !== `${n}/${n}`) p.push(`SYNCED ${row['SYNCED']} (want ${n}/${n})`);
  if (row['VERSION'] !== want.version) p.push(`VERSION ${row['VERSION']} (want ${want.version})`);
  if (row['CONFIG HASH'] !== want.cpHash.slice(0, 8))
    p.push(`CONFIG HASH ${row['CONFIG HASH']} (want ${want.cpHash.slice(0, 8)})`);
  return p.map((x) => `${want.name}: ${x}`);
}

/** Waits until `kubectl get dataplanes -n <ns>` shows every DataPlane converged on the CP's current hash. */
export async function waitPrinted(
  cluster: E2ECluster,
  sample: SampleUnderTest,
  admin: AdminApi,
  version: string,
  timeoutMs = 60_000,
): Promise<{ cpHash: string; rows: PrintedRow[] }> {
  return waitFor(
    `kubectl get dataplanes -n ${sample.namespace} to show every DataPlane ready and synced on the CP's hash`,
    async () => {
      const cpHash = await admin.configHash();
      const table = await cluster.kubectl(['get', 'dataplanes', '-n', sample.namespace]);
      const rows = parseTable(table);
      const problems = sample.dataPlanes.flatMap((dp) =>
        printedRowProblems(
          rows.find((r) => r['NAME'] === dp.name),
          { ...dp, version, cpHash },
        ),
      );
      if (problems.length > 0) return new NotYet(`cp hash ${cpHash}; ${problems.join('; ')}`);
      // The CI log shows what a user sees once everything is synced.
      process.stderr.write(`e2e: kubectl get dataplanes -n ${sample.namespace}\n${table}\n`);
      return { cpHash, rows };
    },
    { timeoutMs, intervalMs: 500 },
  );
}

interface DataPlaneStatus {
  spec: { replicas?: number };
  status?: {
    replicas?: number;
    readyReplicas?: number;
    configHash?: string;
    syncedSummary?: string;
    counts?: { total?: number; connected?: number; synced?: number };
    nodes?: { nodeId: string; podName?: string; configHash?: string; connected?: boolean }[];
  };
}

/**
 * Converged status of one DataPlane with `replicas` pods: the pods exist and are ready; the DataPlane's
 * status counts them; every pod runs the CP's current hash; and the CP's own /clustering/data-planes
 * rows for the DataPlane are exactly its pods (no ghost row of a pod that no longer exists).
 */
export async function waitConverged(
  cluster: E2ECluster,
  namespace: string,
  dataPlane: string,
  replicas: number,
  admin: AdminApi,
  timeoutMs = 90_000,
): Promise<void> {
  await waitFor(
    `dataplane ${namespace}/${dataPlane} converged on ${replicas} pods (status, CP rows, hashes)`,
    async () => {
      const pods = (await listPods(cluster, namespace, podSelector(dataPlane, 'data-plane'))).filter(
        (p) => p.deletionRequestedAt === undefined,
      );
      const names = pods.map((p) => p.name).sort();
      const problems: string[] = [];
      if (pods.length !== replicas) problems.push(`pods ${names.join(',')} (want ${replicas})`);
      const notReady = pods.filter((p) => !p.ready).map((p) => p.name);
      if (notReady.length) problems.push(`not ready: ${notReady.join(',')}`);
      const cpHash = await admin.configHash();
      const dp = await getJson<DataPlaneStatus>(cluster, ['get', 'dataplane', dataPlane, '-n', namespace]);
      const s = dp.status ?? {};
      if (s.replicas !== replicas) problems.push(`status.replicas ${s.replicas}`);
      if (s.readyReplicas !== replicas) problems.push(`status.readyReplicas ${s.readyReplicas}`);
      if (s.configHash !== cpHash) problems.push(`status.configHash ${s.configHash} (cp ${cpHash})`);
      if (s.syncedSummary !== `${replicas}/${replicas}`)
        problems.push(`status.syncedSummary ${s.syncedSummary}`);
      if (s.counts?.total !== replicas) problems.push(`status.counts.total ${s.counts?.total}`);
      const nodePods = (s.nodes ?? []).map((n) => n.podName ?? `?${n.nodeId}`).sort();
      if (nodePods.join(',') !== names.join(',')) problems.push(`status.nodes pods ${nodePods.join(',')}`);
      const rows = (await admin.dataPlanes()).filter((r) => r.labels?.[DATAPLANE_NODE_LABEL] === dataPlane);
      const rowPods = rows.map(podOfRow).sort();
      if (rowPods.join(',') !== names.join(',')) problems.push(`CP rows for pods ${rowPods.join(',')}`);
      const stale = rows.filter((r) => r.config_hash !== cpHash || r.status !== 'connected');
      if (stale.length) {
        problems.push(
          `CP rows not synced: ${stale.map((r) => `${podOfRow(r)} ${r.status} ${r.config_hash.slice(0, 8)}`).join(',')}`,
        );
      }
      return problems.length === 0 ? true : new NotYet(problems.join('; '));
    },
    { timeoutMs, intervalMs: 1_000 },
  );
}
