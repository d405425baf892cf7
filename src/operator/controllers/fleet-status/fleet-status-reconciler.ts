import type { Kube, KubeObject } from '../../../api/meta.js';
import type { DataPlane } from '../../../api/v1alpha1/index.js';
import { LABELS } from '../../../shared/contract.js';
import type { KubeClient } from '../../kube/kube-client.js';
import type { Informer } from '../../manager/informer.js';
import type { Manager } from '../../manager/manager.js';
import { RESOURCES } from '../../kube/resources.js';
import type {
  ReconcileContext,
  ReconcileRequest,
  ReconcileResult,
  Reconciler,
} from '../../manager/reconcile.js';
import { fleetAdminClient, type FleetAdminClient } from './admin-client.js';
import { DEFAULT_POLL_INTERVALS, FleetPoller, type PollIntervals } from './fleet-poller.js';
import { adminUrlOf } from './admin-url.js';

/** What the fleet status reconciler needs. */
export interface FleetStatusReconcilerDeps {
  client: KubeClient;
  now?(): number;
  intervals?: PollIntervals;
  /** Test-only: honour the admin URL override annotation. */
  allowAdminUrlOverride?: boolean;
  adminClient?(baseUrl: string): FleetAdminClient;
}

/**
 * The fleet status as a manager controller keyed by ControlPlane (so it runs only on the leader and
 * stops with it): each reconcile is one poll, and the requeue delay is the poll interval (2 s while
 * converging, 30 s steady). DataPlane and Pod events map to the ControlPlane and poll it at once.
 */
export class FleetStatusReconciler implements Reconciler {
  private readonly d: FleetStatusReconcilerDeps;
  // Per ControlPlane: what its polls remember (last fingerprint, unreachable backoff).
  private readonly pollers = new Map<string, FleetPoller>();

  constructor(deps: FleetStatusReconcilerDeps) {
    this.d = deps;
  }

  async reconcile(req: ReconcileRequest, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    let poller = this.pollers.get(req.key);
    if (!poller) {
      const allow = this.d.allowAdminUrlOverride ?? false;
      const makeClient = this.d.adminClient ?? ((url: string) => fleetAdminClient(url));
      poller = new FleetPoller({
        client: this.d.client,
        namespace: req.namespace,
        name: req.name,
        adminFor: (cp) => makeClient(adminUrlOf(cp, allow)),
        intervals: this.d.intervals ?? DEFAULT_POLL_INTERVALS,
        now: this.d.now ?? Date.now,
        log: ctx.log,
      });
      this.pollers.set(req.key, poller);
    }
    const result = await poller.tick();
    if (result.gone) {
      this.pollers.delete(req.key);
      return;
    }
    return { requeueAfterMs: poller.nextDelay(result) };
  }
}

/** Maps a DataPlane event to its ControlPlane's key. */
export function controlPlaneOfDataPlane(obj: KubeObject): string[] {
  const ref = (obj as Kube<DataPlane>).spec?.controlPlaneRef?.name;
  return ref ? [`${obj.metadata?.namespace}/${ref}`] : [];
}

/** Maps a data plane Pod event to its ControlPlane's key, through its DataPlane (the instance label). */
export function controlPlaneOfPod(dataPlanes: Informer<Kube<DataPlane>>) {
  return (pod: KubeObject): string[] => {
    const instance = pod.metadata?.labels?.[LABELS.instance];
    const dp = instance ? dataPlanes.get(`${pod.metadata?.namespace}/${instance}`) : undefined;
    return dp ? controlPlaneOfDataPlane(dp) : [];
  };
}

/** Options of the fleet status controller (OperatorOptions.fleetStatus). */
export interface FleetStatusOptions {
  /** Test-only: honour the admin URL override annotation. */
  allowAdminUrlOverride?: boolean;
  intervals?: PollIntervals;
}

/**
 * Adds the `fleet-status` controller: ControlPlanes, requeued by their DataPlanes and by data plane
 * Pods (a pod going away is removed from the status at once). Needs get/list/watch on pods.
 */
export function addFleetStatusController(
  manager: Manager,
  deps: { client: KubeClient; dataPlanes: Informer<Kube<DataPlane>>; now?(): number } & FleetStatusOptions,
): void {
  manager.addController({
    name: 'fleet-status',
    primary: RESOURCES.ControlPlane,
    watches: [
      { type: RESOURCES.DataPlane, map: controlPlaneOfDataPlane },
      {
        type: RESOURCES.Pod,
        labelSelector: `${LABELS.component}=data-plane`,
        map: controlPlaneOfPod(deps.dataPlanes),
      },
    ],
    reconciler: new FleetStatusReconciler(deps),
  });
}
