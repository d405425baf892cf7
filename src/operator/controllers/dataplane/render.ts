import type { KubeObject } from '../../../api/meta.js';
import type { ControlPlane, DataPlane } from '../../../api/v1alpha1/index.js';
import { LABELS, PORTS } from '../../../shared/contract.js';
import { OperatorError } from '../../errors.js';
import { replicasOwner } from '../../resources/annotations.js';
import { clusterOf, objectLabels, selectorLabels } from '../../resources/labels.js';
import { controlPlaneNames, dataPlaneNames, serviceHost } from '../../resources/names.js';
import { ownedMeta } from '../../resources/owner.js';
import { imageFor, podTemplate } from '../../resources/pod-template.js';
import { dataPlaneEnv } from '../../resources/runtime-env.js';
import { controlPlaneCertificateSecret } from '../controlplane/render.js';

/** Where a DataPlane's control plane is and which certificate Secret its pods mount. */
export interface ControlPlaneTarget {
  mode: 'shared' | 'pki';
  endpoint: string;
  telemetry: string;
  serverName?: string;
  certificateSecret: string;
}

/**
 * Resolves the control plane a DataPlane connects to: an external one from its spec, or the
 * ControlPlane it references (which must be given). Shared mode mounts the CP's one certificate; pki
 * mode the DataPlane's own client certificate.
 */
export function resolveControlPlaneTarget(dp: DataPlane, cp: ControlPlane | undefined): ControlPlaneTarget {
  const ext = dp.spec.externalControlPlane;
  if (ext) {
    const host = ext.endpoint.replace(/:\d+$/, '');
    return {
      mode: ext.mode,
      endpoint: ext.endpoint,
      telemetry: ext.telemetryEndpoint ?? `${host}:${PORTS.clusterTelemetry}`,
      ...(ext.serverName ? { serverName: ext.serverName } : {}),
      certificateSecret: ext.certificateSecretRef.name,
    };
  }
  const ref = dp.spec.controlPlaneRef?.name;
  if (!ref || !cp || cp.metadata.name !== ref) {
    throw new OperatorError(
      'CONTROL_PLANE_NOT_FOUND',
      `DataPlane ${dp.metadata.name}: ControlPlane "${ref ?? ''}" not found in namespace ${dp.metadata.namespace}`,
      {
        field: 'spec.controlPlaneRef.name',
        controlPlane: ref,
      },
    );
  }
  const host = serviceHost(controlPlaneNames(ref).clusterService, cp.metadata.namespace!);
  const mode = cp.spec.certificates.mode;
  return {
    mode,
    endpoint: `${host}:${PORTS.cluster}`,
    telemetry: `${host}:${PORTS.clusterTelemetry}`,
    ...(mode === 'pki' ? { serverName: host } : {}),
    certificateSecret:
      mode === 'pki' ? dataPlaneNames(dp.metadata.name!).certSecret : controlPlaneCertificateSecret(cp),
  };
}

/**
 * Pure: a DataPlane → its ServiceAccount (no token), Deployment, proxy Service (8000/8443 behind the
 * spec's ports) and PodDisruptionBudget (maxUnavailable from the spec, 1 by default). The Deployment's replicas follow
 * .spec.replicas (kubectl scale dataplane, or an HPA on the DataPlane) unless the replicas-owner
 * annotation says an autoscaler scales the Deployment itself; then they are left out of the apply.
 */
export function renderDataPlane(dp: DataPlane, target: ControlPlaneTarget): KubeObject[] {
  const name = dp.metadata.name!;
  const names = dataPlaneNames(name);
  const group = dp.metadata.labels?.[LABELS.dataPlaneGroup];
  const src = {
    instance: name,
    component: 'data-plane' as const,
    cluster: clusterOf(dp),
    ...(group ? { group } : {}),
  };
  const labels = objectLabels(src);
  const selector = selectorLabels(src);
  const meta = ownedMeta(dp as unknown as KubeObject, labels);
  const template = podTemplate({
    labels,
    serviceAccountName: names.serviceAccount,
    image: imageFor(dp.spec),
    env: dataPlaneEnv({
      mode: target.mode,
      controlPlane: target.endpoint,
      telemetry: target.telemetry,
      serverName: target.serverName,
      labels: dp.spec.labels,
      dataPlane: name,
      conf: dp.spec.conf,
    }),
    certificateSecret: target.certificateSecret,
    ports: [
      { name: 'proxy', containerPort: PORTS.proxy },
      { name: 'proxy-ssl', containerPort: PORTS.proxySsl },
      { name: 'status', containerPort: PORTS.status },
    ],
    resources: dp.spec.resources as Record<string, unknown> | undefined,
    conf: dp.spec.conf,
  });
  const deploymentSpec: Record<string, unknown> = {
    selector: { matchLabels: selector },
    // Proxies keep serving while they roll: a new pod is ready before an old one goes.
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
    template,
  };
  if (replicasOwner(dp.metadata.annotations) !== 'deployment') deploymentSpec['replicas'] = dp.spec.replicas;
  const svc = dp.spec.service;
  return [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: meta(names.serviceAccount),
      automountServiceAccountToken: false,
    },
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta(names.deployment), spec: deploymentSpec },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(names.proxyService, svc.annotations),
      spec: {
        type: svc.type,
        selector,
        ports: svc.ports.map((p) => ({
          name: p.name,
          port: p.port,
          targetPort: p.name,
          protocol: 'TCP',
          ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}),
        })),
      },
    },
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: meta(names.podDisruptionBudget),
      spec: {
        maxUnavailable: dp.spec.podDisruptionBudget?.maxUnavailable ?? 1,
        selector: { matchLabels: selector },
      },
    },
  ];
}
