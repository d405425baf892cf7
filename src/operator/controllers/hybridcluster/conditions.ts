import type { Condition } from '../../../api/meta.js';
import type { ControlPlane, DataPlane, HybridCluster } from '../../../api/v1alpha1/index.js';
import { setConditions, type DesiredCondition } from '../conditions.js';

/** What the HybridCluster status rolls up. */
export interface HybridClusterObservation {
  controlPlane?: ControlPlane;
  /** The cluster's DataPlanes by group name. */
  dataPlanes: Map<string, DataPlane>;
  invalidSpec?: string;
  now: number;
}

const condition = (o: { status?: { conditions?: Condition[] } } | undefined, type: string) =>
  o?.status?.conditions?.find((c) => c.type === type);

/**
 * Pure: HybridCluster.status from its ControlPlane and DataPlanes: Ready (CP and every group ready),
 * CertificatesReady (the CP's), the per-group list and the summaries kubectl prints. configHash and
 * syncedSummary are copied from what the fleet-status controller (part 2) wrote on the children.
 */
export function hybridClusterStatus(hc: HybridCluster, o: HybridClusterObservation): Record<string, unknown> {
  const groups = hc.spec.dataPlanes ?? [];
  const cpReady = condition(o.controlPlane, 'Ready')?.status === 'True';
  const rows = groups.map((g) => {
    const dp = o.dataPlanes.get(g.name);
    return {
      group: g.name,
      name: dp?.metadata.name,
      replicas: dp?.spec.replicas ?? 0,
      readyReplicas: dp?.status?.readyReplicas ?? 0,
      ...(dp?.status?.counts?.synced !== undefined ? { syncedNodes: dp.status.counts.synced } : {}),
      ready: condition(dp, 'Ready')?.status === 'True',
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
  ];
  const certs = condition(o.controlPlane, 'CertificatesReady');
  if (certs)
    desired.push({
      type: 'CertificatesReady',
      status: certs.status,
      reason: certs.reason,
      message: certs.message,
    });
  const synced = [...o.dataPlanes.values()].map((d) => d.status?.counts);
  const haveCounts = synced.length > 0 && synced.every((c) => c?.total !== undefined);
  return {
    observedGeneration: hc.metadata.generation,
    conditions: setConditions(hc.status?.conditions, desired, hc.metadata.generation, o.now),
    controlPlane: {
      name: o.controlPlane?.metadata.name ?? hc.metadata.name,
      ready: cpReady,
      ...(o.controlPlane?.status?.configHash ? { configHash: o.controlPlane.status.configHash } : {}),
    },
    dataPlanes: rows,
    dataPlanesSummary: `${readyGroups}/${rows.length}`,
    ...(haveCounts
      ? {
          syncedSummary: `${synced.reduce((n, c) => n + (c?.synced ?? 0), 0)}/${synced.reduce((n, c) => n + (c?.total ?? 0), 0)}`,
        }
      : {}),
  };
}
