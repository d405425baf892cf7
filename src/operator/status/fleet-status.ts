import type { Condition } from '../../api/meta.js';
import { setConditions, type DesiredCondition } from '../controllers/conditions.js';

import { DATAPLANE_NODE_LABEL, POD_NODE_LABEL } from './node-labels.js';

export { DATAPLANE_NODE_LABEL, POD_NODE_LABEL };

/** A row of the CP's `GET /clustering/data-planes` (the fields the status uses). */
export interface DataPlaneRow {
  id: string;
  hostname: string;
  ip: string;
  version: string;
  config_hash: string;
  sync_status: string;
  status: 'connected' | 'disconnected';
  last_seen: number;
  labels?: Record<string, string>;
  cert_details?: { expiry_timestamp: number | null };
}

/** One entry of DataPlane.status.nodes. */
export interface NodeStatus {
  nodeId: string;
  podName?: string;
  hostname: string;
  ip: string;
  version: string;
  configHash: string;
  syncStatus: string;
  connected: boolean;
  /** Only for disconnected nodes: a connected node's last ping changes every interval, a write each. */
  lastSeen?: string;
  certificateExpiry?: string;
}

/** The part of DataPlane.status the fleet poller owns (written with its own field manager). */
export interface FleetDataPlaneStatus {
  nodes: NodeStatus[];
  counts: { connected: number; synced: number; incompatible: number; total: number };
  configHash?: string;
  configHashShort?: string;
  syncedSummary: string;
  conditions: Condition[];
  [key: string]: unknown;
}

/** What the CP said: its rows and its current hash, or why it could not be asked. */
export type ControlPlaneView =
  { reachable: true; rows: DataPlaneRow[]; configHash: string } | { reachable: false; error: string };

/** Inputs of dataPlaneFleetStatus for one DataPlane. */
export interface FleetStatusInput {
  /** The DataPlane's name: rows carrying it in DATAPLANE_NODE_LABEL are its nodes. */
  dataPlane: string;
  /** Names of the DataPlane's pods that exist now. */
  pods: ReadonlySet<string>;
  cp: ControlPlaneView;
  /** The DataPlane's current status (conditions keep their transition times; kept parts when unreachable). */
  previous: Record<string, unknown> | undefined;
  generation: number | undefined;
  now: number;
}

/** The status to write and the rows the CP should forget (their pods are gone and they are disconnected). */
export interface FleetStatusResult {
  status: FleetDataPlaneStatus;
  forget: string[];
}

/** sync_status values meaning the CP refuses to push to the node. */
export const INCOMPATIBLE_STATUSES: ReadonlySet<string> = new Set([
  'kong_version_incompatible',
  'plugin_set_incompatible',
  'plugin_version_incompatible',
  'filter_set_incompatible',
]);

/** The pod a row runs in: the pod label when set, else the hostname (a pod's hostname is its name). */
export function podOfRow(row: DataPlaneRow): string {
  return row.labels?.[POD_NODE_LABEL] ?? row.hostname;
}

const iso = (unixSeconds: number): string =>
  new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

// 'plugin_set_incompatible' → 'PluginSetIncompatible' (condition reasons are CamelCase).
const camel = (s: string): string =>
  s
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');

function nodeOf(row: DataPlaneRow, pod: string | undefined): NodeStatus {
  const node: NodeStatus = {
    nodeId: row.id,
    hostname: row.hostname,
    ip: row.ip,
    version: row.version,
    configHash: row.config_hash,
    syncStatus: row.sync_status,
    connected: row.status === 'connected',
  };
  if (pod !== undefined) node.podName = pod;
  if (row.status !== 'connected') node.lastSeen = iso(row.last_seen);
  const expiry = row.cert_details?.expiry_timestamp;
  if (typeof expiry === 'number') node.certificateExpiry = iso(expiry);
  return node;
}

const label = (n: NodeStatus): string => n.podName ?? n.hostname ?? n.nodeId;

function syncedCondition(nodes: NodeStatus[], synced: number, cpHash: string): DesiredCondition {
  const message = `${synced}/${nodes.length} data planes run the control plane's current config hash`;
  if (nodes.length === 0) {
    return { type: 'Synced', status: 'Unknown', reason: 'NoDataPlanes', message };
  }
  if (synced === nodes.length) return { type: 'Synced', status: 'True', reason: 'AllSynced', message };
  const stale = nodes.filter((n) => !(n.connected && n.configHash === cpHash)).map(label);
  return {
    type: 'Synced',
    status: 'False',
    reason: 'OutOfSync',
    message: `${message} (${cpHash.slice(0, 8)}); not yet: ${stale.join(', ')}`,
  };
}

function compatibleCondition(nodes: NodeStatus[]): DesiredCondition {
  const bad = nodes.filter((n) => INCOMPATIBLE_STATUSES.has(n.syncStatus));
  if (bad.length === 0) {
    return nodes.length === 0
      ? {
          type: 'Compatible',
          status: 'Unknown',
          reason: 'NoDataPlanes',
          message: 'no data plane is known to the control plane',
        }
      : {
          type: 'Compatible',
          status: 'True',
          reason: 'AllCompatible',
          message: `${nodes.length} data planes are compatible`,
        };
  }
  const kinds = [...new Set(bad.map((n) => n.syncStatus))].sort();
  return {
    type: 'Compatible',
    status: 'False',
    reason: kinds.map(camel).join(','),
    message: `the control plane refuses ${bad.length}/${nodes.length} data planes: ${bad
      .map((n) => `${label(n)} (${n.syncStatus})`)
      .join(', ')}`,
  };
}

function unreachable(input: FleetStatusInput, error: string): FleetStatusResult {
  const prev = (input.previous ?? {}) as Partial<FleetDataPlaneStatus>;
  const reason = 'ControlPlaneUnreachable';
  const message = `cannot read the control plane's data plane list: ${error}`;
  const conditions = setConditions(
    prev.conditions,
    [
      { type: 'Synced', status: 'Unknown', reason, message },
      { type: 'Compatible', status: 'Unknown', reason, message },
    ],
    input.generation,
    input.now,
  );
  // The last known nodes stay: they are re-sent because an apply that omits them would delete them.
  const status: FleetDataPlaneStatus = {
    nodes: prev.nodes ?? [],
    counts: prev.counts ?? { connected: 0, synced: 0, incompatible: 0, total: 0 },
    syncedSummary: prev.syncedSummary ?? '',
    conditions,
  };
  if (prev.configHash !== undefined) status.configHash = prev.configHash;
  if (prev.configHashShort !== undefined) status.configHashShort = prev.configHashShort;
  return { status, forget: [] };
}

/**
 * Pure: the CP's rows, the DataPlane's pods and the CP's hash → the fleet part of DataPlane.status
 * (nodes, counts, summary, Synced and Compatible). Rows of pods that are gone leave the status at once;
 * disconnected ones are also returned in `forget` so the CP deletes them instead of keeping ghosts.
 */
export function dataPlaneFleetStatus(input: FleetStatusInput): FleetStatusResult {
  if (!input.cp.reachable) return unreachable(input, input.cp.error);
  const cpHash = input.cp.configHash;
  const nodes: NodeStatus[] = [];
  const forget: string[] = [];
  for (const row of input.cp.rows) {
    if (row.labels?.[DATAPLANE_NODE_LABEL] !== input.dataPlane) continue;
    const pod = podOfRow(row);
    if (!input.pods.has(pod)) {
      // A connected row would come back with its next ping: only a disconnected one is forgotten.
      if (row.status !== 'connected') forget.push(row.id);
      continue;
    }
    nodes.push(nodeOf(row, pod));
  }
  nodes.sort((a, b) => label(a).localeCompare(label(b)) || a.nodeId.localeCompare(b.nodeId));
  const synced = nodes.filter((n) => n.connected && n.configHash === cpHash).length;
  const counts = {
    connected: nodes.filter((n) => n.connected).length,
    synced,
    incompatible: nodes.filter((n) => INCOMPATIBLE_STATUSES.has(n.syncStatus)).length,
    total: nodes.length,
  };
  const prev = (input.previous ?? {}) as Partial<FleetDataPlaneStatus>;
  const conditions = setConditions(
    prev.conditions,
    [syncedCondition(nodes, synced, cpHash), compatibleCondition(nodes)],
    input.generation,
    input.now,
  );
  return {
    status: {
      nodes,
      counts,
      configHash: cpHash,
      configHashShort: cpHash.slice(0, 8),
      syncedSummary: `${synced}/${nodes.length}`,
      conditions,
    },
    forget,
  };
}

/** The part of ControlPlane.status the fleet poller owns: the hash synced DPs run, and connected DPs. */
export function controlPlaneFleetStatus(
  cp: ControlPlaneView,
  previous: Record<string, unknown> | undefined,
): { configHash?: string; dataPlanes?: number } {
  if (!cp.reachable) {
    const prev = previous ?? {};
    const out: { configHash?: string; dataPlanes?: number } = {};
    if (typeof prev['configHash'] === 'string') out.configHash = prev['configHash'];
    if (typeof prev['dataPlanes'] === 'number') out.dataPlanes = prev['dataPlanes'];
    return out;
  }
  return { configHash: cp.configHash, dataPlanes: cp.rows.filter((r) => r.status === 'connected').length };
}
