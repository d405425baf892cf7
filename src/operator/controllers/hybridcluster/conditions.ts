import type { Condition } from '../../../api/meta.js';
import type { ControlPlane, DataPlane, HybridCluster } from '../../../api/v1alpha1/index.js';
import type { UpgradePlan } from '../../upgrade/plan-upgrade.js';
import { setConditions, type DesiredCondition } from '../conditions.js';

/** What the HybridCluster status rolls up. */
export interface HybridClusterObservation {
  controlPlane?: ControlPlane;
  /** The cluster's DataPlanes by group name. */
  dataPlanes: Map<string, DataPlane>;
  /** The upgrade plan of this reconcile (Progressing and status.upgrade come from it). */
  plan?: UpgradePlan;
  invalidSpec?: string;
  now: number;
}

const condition = (o: { status?: { conditions?: Condition[] } } | undefined, type: string) =>
  o?.status?.conditions?.find((c) => c.type === type);

interface Row {
  group: string;
  name?: string;
  version?: string;
  replicas: number;
  readyReplicas: number;
  syncedNodes?: number;
  totalNodes?: number;
  ready: boolean;
  synced: boolean;
}

/**
 * Pure: HybridCluster.status from its ControlPlane and DataPlanes: Ready (CP and every group ready),
 * Synced and Compatible (rolled up from what the fleet-status controller wrote on each DataPlane),
 * CertificatesReady (the CP's), Progressing (the upgrade plan's), the per-group list and the
 * summaries kubectl prints.
 */
export function hybridClusterStatus(hc: HybridCluster, o: HybridClusterObservation): Record<string, unknown> {
  const groups = hc.spec.dataPlanes ?? [];
  const cpReady = condition(o.controlPlane, 'Ready')?.status === 'True';
  const rows: Row[] = groups.map((g) => {
    const dp = o.dataPlanes.get(g.name);
    const counts = dp?.status?.counts;
    return {
      group: g.name,
      ...(dp ? { name: dp.metadata.name, version: dp.spec.version } : {}),
      replicas: dp?.spec.replicas ?? 0,
      readyReplicas: dp?.status?.readyReplicas ?? 0,
      ...(counts?.synced !== undefined ? { syncedNodes: counts.synced } : {}),
      ...(counts?.total !== undefined ? { totalNodes: counts.total } : {}),
      ready: condition(dp, 'Ready')?.status === 'True',
      synced: condition(dp, 'Synced')?.status === 'True',
    };
  });
  const readyGroups = rows.filter((r) => r.ready).length;
  const notReady = [
    ...(cpReady ? [] : ['control plane']),
    ...rows.filter((r) => !r.ready).map((r) => `data plane group ${r.group}`),
  ];
  const desired: DesiredCondition[] = [
    o.invalidSpec
      ? { type: 'Ready', status: 'False', reason: 'InvalidSpec', message: o.invalidSpec }
      : notReady.length
        ? {
            type: 'Ready',
            status: 'False',
            reason: 'Unavailable',
            message: `not ready: ${notReady.join(', ')}`,
          }
        : {
            type: 'Ready',
            status: 'True',
            reason: 'Available',
            message: `control plane and ${rows.length} data plane group(s) ready`,
          },
    rollUp('Synced', groups, o.dataPlanes, syncedWording),
    rollUp('Compatible', groups, o.dataPlanes, compatibleWording),
  ];
  const certs = condition(o.controlPlane, 'CertificatesReady');
  if (certs)
    desired.push({
      type: 'CertificatesReady',
      status: certs.status,
      reason: certs.reason,
      message: certs.message,
    });
  if (o.plan) desired.push(o.plan.progressing);
  const haveCounts = rows.length > 0 && rows.every((r) => r.totalNodes !== undefined);
  return {
    observedGeneration: hc.metadata.generation,
    conditions: setConditions(hc.status?.conditions, desired, hc.metadata.generation, o.now),
    controlPlane: {
      name: o.controlPlane?.metadata.name ?? hc.metadata.name,
      ready: cpReady,
      ...(o.controlPlane?.status?.configHash ? { configHash: o.controlPlane.status.configHash } : {}),
      ...(o.controlPlane ? { version: o.controlPlane.spec.version } : {}),
    },
    dataPlanes: rows,
    dataPlanesSummary: `${readyGroups}/${rows.length}`,
    ...(haveCounts
      ? {
          syncedSummary: `${rows.reduce((n, r) => n + (r.syncedNodes ?? 0), 0)}/${rows.reduce((n, r) => n + (r.totalNodes ?? 0), 0)}`,
        }
      : {}),
    ...(o.plan?.upgrade ? { upgrade: o.plan.upgrade } : {}),
  };
}

interface Wording {
  allTrue: { reason: string; message: (n: number) => string };
  falseReason: string;
  falseWhat: string;
}

const syncedWording: Wording = {
  allTrue: {
    reason: 'AllSynced',
    message: (n) => `the data planes of all ${n} group(s) run the control plane's current configuration`,
  },
  falseReason: 'OutOfSync',
  falseWhat: 'out of sync',
};

const compatibleWording: Wording = {
  allTrue: { reason: 'AllCompatible', message: (n) => `no data plane of the ${n} group(s) is incompatible` },
  falseReason: 'Incompatible',
  falseWhat: 'incompatible',
};

// A group condition rolled up: False if any group's is (the groups and their messages), Unknown if
// any is Unknown or missing (fleet status off, or not reported yet), True only when all are.
function rollUp(
  type: 'Synced' | 'Compatible',
  groups: { name: string }[],
  dataPlanes: Map<string, DataPlane>,
  w: Wording,
): DesiredCondition {
  if (!groups.length)
    return {
      type,
      status: 'Unknown',
      reason: 'NoDataPlanes',
      message: 'the cluster has no data plane groups',
    };
  const of = groups.map((g) => ({ group: g.name, c: condition(dataPlanes.get(g.name), type) }));
  const bad = of.filter((x) => x.c?.status === 'False');
  if (bad.length)
    return {
      type,
      status: 'False',
      reason: w.falseReason,
      message: `${w.falseWhat}: ${bad.map((x) => `group ${x.group} (${x.c!.message})`).join('; ')}`,
    };
  const unknown = of.filter((x) => x.c?.status === 'Unknown');
  if (unknown.length)
    return {
      type,
      status: 'Unknown',
      reason: unknown[0]!.c!.reason,
      message: unknown.map((x) => `group ${x.group}: ${x.c!.message}`).join('; '),
    };
  const missing = of.filter((x) => !x.c);
  if (missing.length)
    return {
      type,
      status: 'Unknown',
      reason: 'FleetStatusUnavailable',
      message: `${type} is not reported for group(s) ${missing.map((x) => x.group).join(', ')} (fleet status is off, or has not polled the control plane yet)`,
    };
  return { type, status: 'True', reason: w.allTrue.reason, message: w.allTrue.message(groups.length) };
}
