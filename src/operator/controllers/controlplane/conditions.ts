import type { Condition } from '../../../api/meta.js';
import type { ControlPlane, ControlPlaneStatus } from '../../../api/v1alpha1/index.js';
import { PORTS } from '../../../shared/contract.js';
import type { CertificatePlan } from '../../certificates/plan-types.js';
import { controlPlaneNames, serviceHost } from '../../resources/names.js';
import { setConditions, workloadReady, type DesiredCondition } from '../conditions.js';

/** What the ControlPlane status is computed from. */
export interface ControlPlaneObservation {
  workload?: { status?: { replicas?: number; readyReplicas?: number } };
  certificates?: CertificatePlan;
  /** A spec the operator cannot render (message), if any. */
  invalidSpec?: string;
  now: number;
}

/**
 * Pure: the part of ControlPlane.status this controller owns (replicas, endpoints, certificates,
 * Ready and CertificatesReady). configHash and dataPlanes are written by the fleet-status controller
 * (operator part 2) under its own field manager.
 */
export function controlPlaneStatus(
  cp: ControlPlane,
  o: ControlPlaneObservation,
): ControlPlaneStatus & Record<string, unknown> {
  const name = cp.metadata.name!;
  const ns = cp.metadata.namespace!;
  const n = controlPlaneNames(name);
  const replicas = o.workload?.status?.replicas ?? 0;
  const readyReplicas = o.workload?.status?.readyReplicas ?? 0;
  const desired: DesiredCondition[] = [];
  if (o.invalidSpec) {
    desired.push({ type: 'Ready', status: 'False', reason: 'InvalidSpec', message: o.invalidSpec });
  } else {
    desired.push(workloadReady(cp.spec.replicas, readyReplicas));
  }
  if (o.certificates) {
    desired.push({
      type: 'CertificatesReady',
      status: o.certificates.ready ? 'True' : 'False',
      reason: o.certificates.reason,
      message: o.certificates.message,
    });
  }
  const conditions: Condition[] = setConditions(
    cp.status?.conditions,
    desired,
    cp.metadata.generation,
    o.now,
  );
  return {
    observedGeneration: cp.metadata.generation,
    conditions,
    replicas,
    readyReplicas,
    endpoints: {
      // A URL, not host:port: the scheme says TLS (the CA is ca.crt of the <cp>-admin-tls Secret).
      admin: `https://${serviceHost(n.adminService, ns)}:${PORTS.adminSsl}`,
      cluster: `${serviceHost(n.clusterService, ns)}:${PORTS.cluster}`,
      telemetry: `${serviceHost(n.clusterService, ns)}:${PORTS.clusterTelemetry}`,
    },
    ...(o.certificates ? { certificates: o.certificates.status } : {}),
  };
}
