import type { Kube, KubeObject } from '../../../api/meta.js';
import type { ControlPlane, DataPlane, HybridCluster } from '../../../api/v1alpha1/index.js';
import { LABELS } from '../../../shared/contract.js';
import { OperatorError, ignoreNotFound } from '../../errors.js';
import { deleteObject } from '../../kube/delete.js';
import { RESOURCES } from '../../kube/resources.js';
import { writeStatus } from '../../kube/status.js';
import type { Informer } from '../../manager/informer.js';
import type {
  ReconcileContext,
  ReconcileRequest,
  ReconcileResult,
  Reconciler,
} from '../../manager/reconcile.js';
import { controlPlaneNameFor } from '../../resources/names.js';
import { planUpgrade, type ObservedChild } from '../../upgrade/plan-upgrade.js';
import type { WorkloadView } from '../../upgrade/workload-rollout.js';
import { controlPlaneWorkloadKind } from '../controlplane/render.js';
import { ensureObjects, type EnsureDeps } from '../ensure.js';
import { hybridClusterStatus } from './conditions.js';
import { renderHybridCluster } from './render.js';

/** What the HybridCluster reconciler reads and writes through. */
export interface HybridClusterReconcilerDeps extends EnsureDeps {
  hybridClusters: Informer<Kube<HybridCluster>>;
  controlPlanes: Informer<Kube<ControlPlane>>;
  dataPlanes: Informer<Kube<DataPlane>>;
  now(): number;
  /** Whether the fleet-status controller runs (Synced gates each group); unset: inferred from status. */
  fleetStatus?: boolean;
  /** How soon to look again while an upgrade waits on a rollout (default 5 s). */
  upgradeRecheckMs?: number;
}

/**
 * HybridCluster: get → gather (its ControlPlane, DataPlanes and their workloads) → plan the versions
 * (upgrades in a safe order) → render → ensure the ControlPlane and a DataPlane per group → delete
 * DataPlanes of removed groups → status rolled up from the children → the upgrade's Events.
 * Everything else (workloads, certificates) belongs to the ControlPlane and DataPlane controllers.
 */
export class HybridClusterReconciler implements Reconciler {
  private readonly d: HybridClusterReconcilerDeps;
  /**
   * The upgrade state last written per cluster (`version|step`), only to keep Events single when the
   * informer has not yet delivered our own status write (the next reconcile would see the transition
   * again). The state itself lives in status.upgrade; losing this map on restart costs at most a
   * repeated Event.
   */
  private readonly recorded = new Map<string, string>();

  constructor(deps: HybridClusterReconcilerDeps) {
    this.d = deps;
  }

  async reconcile(req: ReconcileRequest, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    const hc = this.d.hybridClusters.get(req.key);
    if (!hc || hc.metadata.deletionTimestamp) {
      this.recorded.delete(req.key);
      return;
    }
    const owned = this.d.dataPlanes
      .list()
      .filter(
        (dp) =>
          dp.metadata.namespace === req.namespace &&
          dp.metadata.ownerReferences?.some((r) => r.controller && r.uid === hc.metadata.uid),
      );
    const byGroup = new Map<string, Kube<DataPlane>>();
    for (const dp of owned) {
      const group = dp.metadata.labels?.[LABELS.dataPlaneGroup];
      if (group) byGroup.set(group, dp);
    }
    const cp = this.d.controlPlanes.get(`${req.namespace}/${controlPlaneNameFor(req.name)}`);
    const plan = planUpgrade({
      version: hc.spec.version,
      ...(hc.spec.image !== undefined ? { image: hc.spec.image } : {}),
      groups: (hc.spec.dataPlanes ?? []).map((g) => ({
        name: g.name,
        ...(g.version ? { version: g.version } : {}),
      })),
      ...(cp ? { controlPlane: this.observe(cp, [controlPlaneWorkloadKind(cp)]) } : {}),
      dataPlanes: new Map([...byGroup].map(([g, dp]) => [g, this.observe(dp, ['Deployment'])])),
      ...(hc.status?.upgrade ? { previous: hc.status.upgrade } : {}),
      ...(hc.status?.conditions?.find((c) => c.type === 'Progressing')
        ? { previousProgressing: hc.status.conditions.find((c) => c.type === 'Progressing')! }
        : {}),
      ...(this.d.fleetStatus !== undefined ? { fleetStatus: this.d.fleetStatus } : {}),
    });
    let invalidSpec: string | undefined;
    try {
      const children = renderHybridCluster({
        cluster: hc,
        existingDataPlanes: new Map(owned.map((d) => [d.metadata.name!, d])),
        versions: { controlPlane: plan.controlPlane, dataPlanes: plan.dataPlanes },
      });
      await ensureObjects(
        this.d,
        hc,
        [children.controlPlane as unknown as KubeObject, ...(children.dataPlanes as unknown as KubeObject[])],
        ctx.log,
      );
      const keep = new Set(children.dataPlanes.map((d) => d.metadata.name));
      for (const dp of owned) {
        if (keep.has(dp.metadata.name)) continue;
        await deleteObject(
          this.d.client,
          RESOURCES.DataPlane,
          req.namespace,
          dp.metadata.name!,
          dp.metadata.uid,
        );
        await this.d.events.record(hc, {
          type: 'Normal',
          reason: 'Deleted',
          message: `deleted DataPlane ${dp.metadata.name} (group removed)`,
        });
      }
    } catch (err) {
      if (!(err instanceof OperatorError && err.code === 'INVALID_SPEC')) throw err;
      invalidSpec = err.message;
    }
    const status = hybridClusterStatus(hc, {
      controlPlane: cp,
      dataPlanes: byGroup,
      plan,
      invalidSpec,
      now: this.d.now(),
    });
    const written = await writeStatus(this.d.client, hc, status).catch(ignoreNotFound);
    // Events after the status holds the new step: a failed write retries the reconcile, which finds
    // the same transition again, so each step is recorded once.
    const signature = plan.upgrade ? `${plan.upgrade.version}|${plan.upgrade.step}` : 'none';
    if (written && this.recorded.get(req.key) !== signature) {
      this.recorded.set(req.key, signature);
      for (const ev of plan.events) {
        ctx.log.info({ reason: ev.reason }, ev.message);
        await this.d.events.record(hc, ev);
      }
    }
    // Workload status (rollout progress) does not requeue the cluster by itself; look again.
    if (plan.upgrade) return { requeueAfterMs: this.d.upgradeRecheckMs ?? 5_000 };
  }

  // A child as the planner sees it: its spec's version/image, its workload from the caches, its status.
  private observe(child: ControlPlane | DataPlane, kinds: string[]): ObservedChild {
    const key = `${child.metadata.namespace}/${child.metadata.name}`;
    let workload: WorkloadView | undefined;
    for (const kind of kinds) {
      const found = this.d.caches[kind]?.get(key) as WorkloadView | undefined;
      if (found) {
        workload = { ...found, kind };
        break;
      }
    }
    const status = child.status as
      | {
          observedGeneration?: number;
          conditions?: ObservedChild['conditions'];
          counts?: ObservedChild['counts'];
          configHash?: string;
        }
      | undefined;
    return {
      version: child.spec.version,
      ...(child.spec.image !== undefined ? { image: child.spec.image } : {}),
      ...(child.metadata.generation !== undefined ? { generation: child.metadata.generation } : {}),
      ...(status?.observedGeneration !== undefined ? { observedGeneration: status.observedGeneration } : {}),
      ...(workload ? { workload } : {}),
      ...(status?.conditions ? { conditions: status.conditions } : {}),
      ...(status?.counts ? { counts: status.counts } : {}),
      ...(status?.configHash ? { configHash: status.configHash } : {}),
    };
  }
}
