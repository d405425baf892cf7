import type { DataPlane } from '../../../api/v1alpha1/index.js';
import { setConditions, workloadReady, type DesiredCondition } from '../conditions.js';

/** What the DataPlane status is computed from. */
export interface DataPlaneObservation {
  deployment?: { status?: { replicas?: number; readyReplicas?: number } };
  /** The pod selector (string form) for the scale subresource. */
  selector: string;
  /** Why the DataPlane cannot run (ControlPlaneNotFound, InvalidSpec), if so. */
  blocked?: { reason: string; message: string };
  /** Problems with the mounted certificate Secret (empty: usable); undefined when not checked. */
  certificateProblems?: string[];
  now: number;
}

/**
 * Pure: the part of DataPlane.status this controller owns: replicas, readyReplicas, selector (scale
 * subresource), Ready and CertificatesReady. nodes, counts, configHash(Short), syncedSummary and the
 * Synced/Compatible conditions belong to the fleet-status controller (operator part 2), written
 * under its own field manager; this controller compares and writes only its own keys.
 */
export function dataPlaneStatus(dp: DataPlane, o: DataPlaneObservation): Record<string, unknown> {
  const readyReplicas = o.deployment?.status?.readyReplicas ?? 0;
  const desired: DesiredCondition[] = [
    o.blocked
      ? { type: 'Ready', status: 'False', ...o.blocked }
      : workloadReady(dp.spec.replicas, readyReplicas),
  ];
  if (o.certificateProblems) {
    desired.push(
      o.certificateProblems.length
        ? {
            type: 'CertificatesReady',
            status: 'False',
            reason: 'CertificatesPending',
            message: o.certificateProblems.join('; '),
          }
        : {
            type: 'CertificatesReady',
            status: 'True',
            reason: 'CertificatesIssued',
            message: 'the cluster certificate is mounted and valid',
          },
    );
  }
  return {
    observedGeneration: dp.metadata.generation,
    conditions: setConditions(dp.status?.conditions, desired, dp.metadata.generation, o.now),
    replicas: o.deployment?.status?.replicas ?? 0,
    readyReplicas,
    selector: o.selector,
  };
}
