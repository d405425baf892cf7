import type { KubeObject } from '../../../api/meta.js';
import type { ControlPlane } from '../../../api/v1alpha1/index.js';
import { MOUNT_PATHS, PORTS } from '../../../shared/contract.js';
import { clusterOf, objectLabels, selectorLabels } from '../../resources/labels.js';
import { controlPlaneNames } from '../../resources/names.js';
import { ownedMeta } from '../../resources/owner.js';
import { imageFor, podTemplate } from '../../resources/pod-template.js';
import { controlPlaneEnv } from '../../resources/runtime-env.js';
import { renderAdminNetworkPolicy, type OperatorPeer } from './network-policy.js';

/** The Secret the CP pods mount: the shared certificate, the user's (provider secret), or the CP's own (pki). */
export function controlPlaneCertificateSecret(cp: ControlPlane): string {
  const names = controlPlaneNames(cp.metadata.name!);
  const c = cp.spec.certificates;
  if (c.mode === 'pki') return names.cpCertSecret;
  return c.provider === 'secret' && c.secretName ? c.secretName : names.sharedCertSecret;
}

/** The workload kind a ControlPlane runs: lmdb keeps data on a volume (StatefulSet), postgres does not. */
export function controlPlaneWorkloadKind(cp: ControlPlane): 'StatefulSet' | 'Deployment' {
  return cp.spec.database.type === 'lmdb' ? 'StatefulSet' : 'Deployment';
}

/** What rendering a ControlPlane needs besides the resource: who the operator's pods are. */
export interface ControlPlaneRenderOptions {
  /** Admitted to the Admin API port by the NetworkPolicy; unset: only admin-access pods are. */
  operator?: OperatorPeer;
}

/**
 * Pure: a ControlPlane → its ServiceAccount (no token), the Admin API Service (8444, TLS), the cluster
 * Service (8005 cluster, 8006 telemetry), the workload (a StatefulSet with a PVC for lmdb, a
 * Deployment for postgres) and the `<cp>-admin` NetworkPolicy. Certificate and token Secrets are made
 * by the certificates and admin-api modules; only their names appear here.
 */
export function renderControlPlane(cp: ControlPlane, opts: ControlPlaneRenderOptions = {}): KubeObject[] {
  const name = cp.metadata.name!;
  const names = controlPlaneNames(name);
  const src = { instance: name, component: 'control-plane' as const, cluster: clusterOf(cp) };
  const labels = objectLabels(src);
  const selector = selectorLabels(src);
  const meta = ownedMeta(cp as unknown as KubeObject, labels);
  const lmdb = cp.spec.database.type === 'lmdb';
  const template = podTemplate({
    labels,
    serviceAccountName: names.serviceAccount,
    image: imageFor(cp.spec),
    env: controlPlaneEnv({
      mode: cp.spec.certificates.mode,
      database: { type: cp.spec.database.type, secretName: cp.spec.database.secretRef?.name },
      conf: cp.spec.conf,
    }),
    certificateSecret: controlPlaneCertificateSecret(cp),
    secretMounts: [
      { name: 'admin-tls', secretName: names.adminTlsSecret, mountPath: MOUNT_PATHS.adminCertificates },
      { name: 'admin-token', secretName: names.adminTokenSecret, mountPath: MOUNT_PATHS.adminToken },
    ],
    ports: [
      { name: 'admin', containerPort: PORTS.adminSsl },
      { name: 'cluster', containerPort: PORTS.cluster },
      { name: 'telemetry', containerPort: PORTS.clusterTelemetry },
      { name: 'status', containerPort: PORTS.status },
    ],
    resources: cp.spec.resources as Record<string, unknown> | undefined,
    dataVolume: lmdb ? names.dataVolume : undefined,
    conf: cp.spec.conf,
  });
  const serviceAccount = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: meta(names.serviceAccount),
    automountServiceAccountToken: false,
  };
  const adminService = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(names.adminService, cp.spec.adminService.annotations),
    spec: {
      type: cp.spec.adminService.type,
      selector,
      ports: [{ name: 'admin', port: PORTS.adminSsl, targetPort: 'admin', protocol: 'TCP' }],
    },
  };
  const clusterService = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(names.clusterService, cp.spec.clusterService.annotations),
    spec: {
      type: cp.spec.clusterService.type,
      selector,
      ports: [
        { name: 'cluster', port: PORTS.cluster, targetPort: 'cluster', protocol: 'TCP' },
        { name: 'telemetry', port: PORTS.clusterTelemetry, targetPort: 'telemetry', protocol: 'TCP' },
      ],
    },
  };
  const workload = lmdb
    ? {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: meta(names.workload),
        spec: {
          replicas: cp.spec.replicas,
          serviceName: names.clusterService,
          selector: { matchLabels: selector },
          template,
          volumeClaimTemplates: [
            {
              metadata: { name: names.dataVolume, labels },
              spec: {
                accessModes: ['ReadWriteOnce'],
                resources: { requests: { storage: String(cp.spec.database.storage) } },
                ...(cp.spec.database.storageClassName
                  ? { storageClassName: cp.spec.database.storageClassName }
                  : {}),
              },
            },
          ],
        },
      }
    : {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: meta(names.workload),
        spec: { replicas: cp.spec.replicas, selector: { matchLabels: selector }, template },
      };
  const networkPolicy = renderAdminNetworkPolicy({
    meta: meta(names.adminNetworkPolicy),
    selector,
    operator: opts.operator,
  });
  return [serviceAccount, adminService, clusterService, workload, networkPolicy];
}
