import type { Kube, KubeObject } from '../../../api/meta.js';
import type { ControlPlane, DataPlane, HybridCluster } from '../../../api/v1alpha1/index.js';
import { LABELS } from '../../../shared/contract.js';
import { OperatorError, ignoreNotFound } from '../../errors.js';
import { deleteObject } from '../../kube/delete.js';
import { RESOURCES } from '../../kube/resources.js';
import { writeStatus } from '../../kube/status.js';
import type { Informer } from '../../manager/informer.js';
import type { ReconcileContext, ReconcileRequest, Reconciler } from '../../manager/reconcile.js';
import { ensureObjects, type EnsureDeps } from '../ensure.js';
import { hybridClusterStatus } from './conditions.js';
import { renderHybridCluster } from './render.js';

/** What the HybridCluster reconciler reads and writes through. */
export interface HybridClusterReconcilerDeps extends EnsureDeps {
  hybridClusters: Informer<Kube<HybridCluster>>;
  controlPlanes: Informer<Kube<ControlPlane>>;
  dataPlanes: Informer<Kube<DataPlane>>;
  now(): number;
}

/**
 * HybridCluster: get → gather (the DataPlanes it controls) → render → ensure the ControlPlane and a
 * DataPlane per group → delete DataPlanes of removed groups → status rolled up from the children.
 * Everything else (workloads, certificates) belongs to the ControlPlane and DataPlane controllers.
 */
export class HybridClusterReconciler implements Reconciler {
  private readonly d: HybridClusterReconcilerDeps;

  constructor(deps: HybridClusterReconcilerDeps) {
    this.d = deps;
  }

  async reconcile(req: ReconcileRequest, ctx: ReconcileContext): Promise<void> {
    const hc = this.d.hybridClusters.get(req.key);
    if (!hc || hc.metadata.deletionTimestamp) return;
    const owned = this.d.dataPlanes
      .list()
      .filter(
        (dp) =>
          dp.metadata.namespace === req.namespace &&
          dp.metadata.ownerReferences?.some((r) => r.controller && r.uid === hc.metadata.uid),
      );
    let invalidSpec: string | undefined;
    try {
      const children = renderHybridCluster({
        cluster: hc,
        existingDataPlanes: new Map(owned.map((d) => [d.metadata.name!, d])),
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
    const cp = this.d.controlPlanes.get(`${req.namespace}/${req.name}`);
    const byGroup = new Map<string, DataPlane>();
    for (const dp of this.d.dataPlanes.list()) {
      const group = dp.metadata.labels?.[LABELS.dataPlaneGroup];
      if (
        group &&
        dp.metadata.namespace === req.namespace &&
        dp.metadata.ownerReferences?.some((r) => r.uid === hc.metadata.uid)
      )
        byGroup.set(group, dp);
    }
    const status = hybridClusterStatus(hc, {
      controlPlane: cp,
      dataPlanes: byGroup,
      invalidSpec,
      now: this.d.now(),
    });
    await writeStatus(this.d.client, hc, status).catch(ignoreNotFound);
  }
}
