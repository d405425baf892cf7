import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import type { Kube, KubeObject } from '../api/meta.js';
import type { ControlPlane, DataPlane, HybridCluster } from '../api/v1alpha1/index.js';
import type { Logger } from '../shared/logger.js';
import { KubeEventRecorder } from './kube/events.js';
import { KubeClient } from './kube/kube-client.js';
import { RESOURCES } from './kube/resources.js';
import { Manager } from './manager/manager.js';
import type { Clock } from './manager/clock.js';
import { CONTROL_PLANE_LABEL, MANAGED_BY } from './resources/labels.js';
import { LABELS } from '../shared/contract.js';
import { ControlPlaneReconciler } from './controllers/controlplane/reconciler.js';
import { DataPlaneReconciler, dataPlanesOf } from './controllers/dataplane/reconciler.js';
import { HybridClusterReconciler } from './controllers/hybridcluster/reconciler.js';
import {
  addFleetStatusController,
  type FleetStatusOptions,
} from './controllers/fleet-status/fleet-status-reconciler.js';
import { addGitOpsController, type GitOpsOptions } from './controllers/gitops/add-gitops-controller.js';
import { parsePodLabels, type OperatorPeer } from './controllers/controlplane/network-policy.js';

/** How the operator runs (the `hybridgate operator` flags map onto this). */
export interface OperatorOptions {
  /** A kubeconfig file; unset: in-cluster config, else the default kubeconfig. */
  kubeconfig?: string;
  /** A kubeconfig context (tests pick the non-admin identity). */
  context?: string;
  /** Watch one namespace; all when unset. */
  namespace?: string;
  /** /metrics, /healthz, /readyz on this host and port (0: any free port); unset: no server. */
  health?: { host: string; port: number };
  /** Leader election on a Lease in this namespace; unset: this replica always reconciles. */
  leaderElection?: { namespace: string; name?: string; identity?: string; clock?: Clock };
  /** How long each CA-rotation step waits for kubelet to deliver the Secrets (default 2 min). */
  caPropagationDelayMs?: number;
  logger: Logger;
  /** Time for certificate decisions and conditions (tests inject one). */
  now?: () => number;
  /** Fleet status from each ControlPlane's Admin API (needs get/list/watch on pods); unset: off. */
  fleetStatus?: FleetStatusOptions;
  /** GitOps from ConfigMaps (spec.declarativeConfig; needs get/list/watch on configmaps); false: off. */
  gitOps?: GitOpsOptions | false;
  /**
   * The operator's own pods, admitted to every ControlPlane's Admin API by its NetworkPolicy. Unset:
   * from the environment (operatorPeerFromEnv); null: none (only admin-access pods are admitted).
   */
  operatorPeer?: OperatorPeer | null;
}

/** The pod label selecting the operator's pods in the chart and config/manager alike. */
export const DEFAULT_OPERATOR_POD_LABELS = 'app.kubernetes.io/component=operator';

/**
 * The operator's pods as its Deployment describes them: POD_NAMESPACE (downward API, set by the chart
 * and config/manager) and HYBRIDGATE_OPERATOR_POD_LABELS (`k=v,...`, default
 * `app.kubernetes.io/component=operator`). Undefined outside a cluster (no POD_NAMESPACE).
 */
export function operatorPeerFromEnv(env: NodeJS.ProcessEnv): OperatorPeer | undefined {
  const namespace = env['POD_NAMESPACE'];
  if (!namespace) return undefined;
  const labels = env['HYBRIDGATE_OPERATOR_POD_LABELS'] || DEFAULT_OPERATOR_POD_LABELS;
  return { namespace, podLabels: parsePodLabels(labels, 'HYBRIDGATE_OPERATOR_POD_LABELS') };
}

/** The label selector of the Secrets the operator writes (and cert-manager's, via secretTemplate). */
const OWNED_SECRETS = `${LABELS.managedBy}=${MANAGED_BY},${CONTROL_PLANE_LABEL}`;

/** Loads the kubeconfig the options name. */
export function loadKubeConfig(opts: Pick<OperatorOptions, 'kubeconfig' | 'context'>): KubeConfig {
  const kc = new KubeConfig();
  if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
  else kc.loadFromDefault();
  if (opts.context) kc.setCurrentContext(opts.context);
  return kc;
}

/**
 * Wires the operator: one manager, shared informers, and the HybridCluster, ControlPlane and DataPlane
 * controllers. Call `start()` on the result; `stop()` releases the lease and closes everything.
 */
export function createOperator(opts: OperatorOptions): { manager: Manager; client: KubeClient } {
  const client = KubeClient.fromKubeConfig(loadKubeConfig(opts));
  const log = opts.logger;
  const now = opts.now ?? Date.now;
  const le = opts.leaderElection;
  const manager = new Manager({
    client,
    logger: log,
    namespace: opts.namespace,
    healthPort: opts.health?.port,
    healthHost: opts.health?.host,
    ...(le
      ? {
          leaderElection: {
            namespace: le.namespace,
            name: le.name ?? 'hybridgate-operator',
            identity: le.identity ?? `${hostname()}_${randomBytes(4).toString('hex')}`,
            ...(le.clock ? { clock: le.clock } : {}),
          },
        }
      : {}),
  });
  const hybridClusters = manager.informer<Kube<HybridCluster>>(RESOURCES.HybridCluster);
  const controlPlanes = manager.informer<Kube<ControlPlane>>(RESOURCES.ControlPlane);
  const dataPlanes = manager.informer<Kube<DataPlane>>(RESOURCES.DataPlane);
  const caches = {
    HybridCluster: manager.informer(RESOURCES.HybridCluster),
    ControlPlane: manager.informer(RESOURCES.ControlPlane),
    DataPlane: manager.informer(RESOURCES.DataPlane),
    Deployment: manager.informer(RESOURCES.Deployment),
    StatefulSet: manager.informer(RESOURCES.StatefulSet),
    Service: manager.informer(RESOURCES.Service),
    ServiceAccount: manager.informer(RESOURCES.ServiceAccount),
    PodDisruptionBudget: manager.informer(RESOURCES.PodDisruptionBudget),
    NetworkPolicy: manager.informer(RESOURCES.NetworkPolicy),
  };
  const operatorPeer =
    opts.operatorPeer === null ? undefined : (opts.operatorPeer ?? operatorPeerFromEnv(process.env));
  if (!operatorPeer)
    log.warn(
      'operator pods unknown (no POD_NAMESPACE): admin NetworkPolicies admit only pods labelled hybridgate.dev/admin-access=true',
    );
  const events = new KubeEventRecorder(client, log, now);
  const base = { client, events, caches, now };
  const secretOwner = (kind: string) => (s: KubeObject) =>
    (s.metadata?.ownerReferences ?? [])
      .filter((r) => r.kind === kind && r.controller)
      .map((r) => `${s.metadata?.namespace}/${r.name}`);

  manager.addController({
    name: 'hybridcluster',
    primary: RESOURCES.HybridCluster,
    owns: [RESOURCES.ControlPlane, RESOURCES.DataPlane],
    // An upgrade step waits on the children's workloads rolling out: their events move it on at once.
    watches: [RESOURCES.Deployment, RESOURCES.StatefulSet].map((type) => ({
      type,
      map: (o: KubeObject) => {
        const cluster = o.metadata?.labels?.[LABELS.cluster];
        return cluster ? [`${o.metadata?.namespace}/${cluster}`] : [];
      },
    })),
    // Whether fleet status runs is read off the children (a Synced condition or a CP config hash), so
    // a test or another tool writing Synced is honoured the same way.
    reconciler: new HybridClusterReconciler({ ...base, hybridClusters, controlPlanes, dataPlanes }),
  });
  manager.addController({
    name: 'controlplane',
    primary: RESOURCES.ControlPlane,
    owns: [
      RESOURCES.StatefulSet,
      RESOURCES.Deployment,
      RESOURCES.Service,
      RESOURCES.ServiceAccount,
      RESOURCES.NetworkPolicy,
    ],
    watches: [
      // A DataPlane appearing or going changes the certificates its ControlPlane issues.
      {
        type: RESOURCES.DataPlane,
        map: (d) =>
          (d as Kube<DataPlane>).spec?.controlPlaneRef
            ? [`${d.metadata?.namespace}/${(d as Kube<DataPlane>).spec.controlPlaneRef!.name}`]
            : [],
      },
      // Certificate Secrets (ours and cert-manager's) carry the ControlPlane's name in a label.
      {
        type: RESOURCES.Secret,
        labelSelector: OWNED_SECRETS,
        map: (s) => [`${s.metadata?.namespace}/${s.metadata?.labels?.[CONTROL_PLANE_LABEL]}`],
      },
    ],
    reconciler: new ControlPlaneReconciler({
      ...base,
      controlPlanes,
      dataPlanes,
      caPropagationDelayMs: opts.caPropagationDelayMs ?? 120_000,
      operatorPeer,
    }),
  });
  manager.addController({
    name: 'dataplane',
    primary: RESOURCES.DataPlane,
    owns: [RESOURCES.Deployment, RESOURCES.Service, RESOURCES.ServiceAccount, RESOURCES.PodDisruptionBudget],
    watches: [
      { type: RESOURCES.ControlPlane, map: (cp) => dataPlanesOf(dataPlanes, cp) },
      { type: RESOURCES.Secret, labelSelector: OWNED_SECRETS, map: secretOwner('DataPlane') },
    ],
    reconciler: new DataPlaneReconciler({ ...base, dataPlanes, controlPlanes }),
  });
  if (opts.fleetStatus) {
    // The Secrets informer the controlplane controller watches already holds the admin token and CA.
    const secrets = manager.informer(RESOURCES.Secret, OWNED_SECRETS);
    addFleetStatusController(manager, { client, dataPlanes, secrets, events, now, ...opts.fleetStatus });
  }
  if (opts.gitOps !== false) {
    const secrets = manager.informer(RESOURCES.Secret, OWNED_SECRETS);
    addGitOpsController(manager, { client, controlPlanes, secrets, events, now, ...(opts.gitOps ?? {}) });
  }
  return { manager, client };
}
