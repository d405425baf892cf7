import { INCOMPATIBLE_STATUSES, type NodeStatus } from './fleet-status.js';

/**
 * Which Events the fleet status raises on a DataPlane, decided from one poll and what the previous
 * polls left in memory: pure, so the thresholds and "once per episode" are tested without a cluster.
 */

/** When a node is worth a Warning. */
export interface FleetEventThresholds {
  /** A connected node not on the CP's hash for this long is out of sync (default 5 min). */
  outOfSyncAfterMs: number;
  /**
   * A node certificate closer than this to its expiry is expiring soon (default 14 days; callers cap it
   * at the ControlPlane's renewBefore, so a certificate merely due for its regular renewal is no news).
   */
  certificateExpiryWarningMs: number;
}

/** The production thresholds. */
export const DEFAULT_FLEET_EVENT_THRESHOLDS: FleetEventThresholds = {
  outOfSyncAfterMs: 5 * 60_000,
  certificateExpiryWarningMs: 14 * 86_400_000,
};

/** What is remembered of one node between polls. */
export interface NodeMemory {
  incompatible: boolean;
  /** Since when the node has not run the CP's hash (unset: it runs it). */
  outOfSyncSince?: number;
  /** The out-of-sync Warning of the current episode was raised. */
  outOfSyncReported: boolean;
  /** The certificate expiry (ms) a Warning was raised for (a renewed certificate warns again). */
  expiryWarnedFor?: number;
}

/** An Event to record on the DataPlane. */
export interface FleetEvent {
  type: 'Normal' | 'Warning';
  reason: 'DataPlaneIncompatible' | 'DataPlaneOutOfSync' | 'DataPlaneSynced' | 'CertificateExpiringSoon';
  message: string;
}

/** One DataPlane's poll as the events see it. */
export interface FleetEventInput {
  /** The DataPlane's nodes from this poll's status. */
  nodes: NodeStatus[];
  /** The CP's current hash; undefined when the CP could not be asked (nothing is decided then). */
  cpHash: string | undefined;
  now: number;
  thresholds: FleetEventThresholds;
}

const nameOf = (n: NodeStatus): string => n.podName ?? n.hostname;
const short = (hash: string): string => hash.slice(0, 8);

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

/**
 * Events for one DataPlane's poll, and the memory for the next one (keyed by node id; nodes no longer
 * listed are dropped). Each Warning is raised once per episode: DataPlaneIncompatible when a node
 * turns incompatible, DataPlaneOutOfSync once a connected node has been off the CP's hash for
 * `outOfSyncAfterMs` (then DataPlaneSynced when it is back), CertificateExpiringSoon once per
 * certificate. Disconnected nodes keep their memory and raise nothing (their hash is stale).
 */
export function fleetEvents(
  memory: ReadonlyMap<string, NodeMemory>,
  input: FleetEventInput,
): { events: FleetEvent[]; memory: Map<string, NodeMemory> } {
  if (input.cpHash === undefined) return { events: [], memory: new Map(memory) };
  const events: FleetEvent[] = [];
  const next = new Map<string, NodeMemory>();
  const { now, thresholds } = input;
  for (const node of input.nodes) {
    const prev = memory.get(node.nodeId) ?? { incompatible: false, outOfSyncReported: false };
    const m: NodeMemory = { ...prev };
    next.set(node.nodeId, m);
    const name = nameOf(node);
    if (node.connected) {
      const incompatible = INCOMPATIBLE_STATUSES.has(node.syncStatus);
      if (incompatible && !prev.incompatible) {
        events.push({
          type: 'Warning',
          reason: 'DataPlaneIncompatible',
          message: `node ${name} is incompatible with the control plane (${node.syncStatus}); it gets no configuration until that is fixed`,
        });
      }
      m.incompatible = incompatible;
      if (node.configHash !== input.cpHash) {
        m.outOfSyncSince = prev.outOfSyncSince ?? now;
        if (!prev.outOfSyncReported && now - m.outOfSyncSince >= thresholds.outOfSyncAfterMs) {
          m.outOfSyncReported = true;
          events.push({
            type: 'Warning',
            reason: 'DataPlaneOutOfSync',
            message: `node ${name} has not run the control plane's config hash ${short(input.cpHash)} for ${duration(now - m.outOfSyncSince)} (it runs ${short(node.configHash)}, sync_status ${node.syncStatus})`,
          });
        }
      } else {
        if (prev.outOfSyncReported) {
          events.push({
            type: 'Normal',
            reason: 'DataPlaneSynced',
            message: `node ${name} runs the control plane's config hash ${short(input.cpHash)} again`,
          });
        }
        m.outOfSyncSince = undefined;
        m.outOfSyncReported = false;
      }
    }
    const expiry = node.certificateExpiry ? Date.parse(node.certificateExpiry) : NaN;
    if (Number.isFinite(expiry)) {
      const left = expiry - now;
      if (left < thresholds.certificateExpiryWarningMs && prev.expiryWarnedFor !== expiry) {
        m.expiryWarnedFor = expiry;
        events.push({
          type: 'Warning',
          reason: 'CertificateExpiringSoon',
          message:
            left > 0
              ? `node ${name}'s cluster certificate expires in ${duration(left)} (${node.certificateExpiry})`
              : `node ${name}'s cluster certificate expired at ${node.certificateExpiry}`,
        });
      }
    }
  }
  return { events, memory: next };
}
