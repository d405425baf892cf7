import type { Kube, KubeObject } from '../../../api/meta.js';
import type { ControlPlane, DataPlane } from '../../../api/v1alpha1/index.js';
import { errorMessage } from '../../../shared/errors.js';
import { adminCertificateSecretNames, planAdminCertificates } from '../../certificates/admin-certificates.js';
import { planAdminToken } from '../../admin-api/admin-token-secret.js';
import { planCertificates } from '../../certificates/plan-certificates.js';
import type { CertificatePlan } from '../../certificates/plan-types.js';
import type { KubeSecret } from '../../certificates/secrets.js';
import { certificateSecretNames } from '../../certificates/plan-certificates.js';
import { KubeApiError, OperatorError, ignoreNotFound, isNotFound } from '../../errors.js';
import { deleteObject } from '../../kube/delete.js';
import { resourcePath, RESOURCES } from '../../kube/resources.js';
import { writeStatus } from '../../kube/status.js';
import type { Informer } from '../../manager/informer.js';
import type {
  ReconcileContext,
  ReconcileRequest,
  ReconcileResult,
  Reconciler,
} from '../../manager/reconcile.js';
import { controlPlaneNames } from '../../resources/names.js';
import { ensureObjects, type EnsureDeps } from '../ensure.js';
import { controlPlaneStatus } from './conditions.js';
import type { OperatorPeer } from './network-policy.js';
import { controlPlaneWorkloadKind, renderControlPlane } from './render.js';

/** Longest requeue (a far renewal is re-planned at least this often; timers beyond 2^31 ms misfire). */
export const MAX_REQUEUE_MS = 12 * 3_600_000;

/** What the ControlPlane reconciler reads and writes through. */
export interface ControlPlaneReconcilerDeps extends EnsureDeps {
  controlPlanes: Informer<Kube<ControlPlane>>;
  dataPlanes: Informer<Kube<DataPlane>>;
  now(): number;
  /** CA rotation: how long each published step sits before the next (kubelet Secret sync). */
  caPropagationDelayMs: number;
  /** The operator's pods, admitted to the Admin API by each ControlPlane's NetworkPolicy. */
  operatorPeer?: OperatorPeer;
}

/**
 * ControlPlane: get → gather (DataPlanes that reference it, its certificate and Admin API Secrets) →
 * certificates and Admin API access (token, TLS certificate; plan, apply, events) → render workloads
 * and the NetworkPolicy → ensure → status (only on change) → requeue at the next certificate deadline.
 */
export class ControlPlaneReconciler implements Reconciler {
  private readonly d: ControlPlaneReconcilerDeps;

  constructor(deps: ControlPlaneReconcilerDeps) {
    this.d = deps;
  }

  async reconcile(req: ReconcileRequest, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    const cp = this.d.controlPlanes.get(req.key);
    if (!cp || cp.metadata.deletionTimestamp) return;
    const owner = cp as unknown as KubeObject;
    const dataPlanes = this.d.dataPlanes
      .list()
      .filter(
        (dp) =>
          dp.metadata.namespace === req.namespace &&
          dp.spec.controlPlaneRef?.name === req.name &&
          !dp.spec.externalControlPlane &&
          !dp.metadata.deletionTimestamp &&
          dp.metadata.uid,
      );
    const now = this.d.now();
    let certificates: CertificatePlan | undefined;
    let adminCertificates: CertificatePlan | undefined;
    let invalidSpec: string | undefined;
    try {
      const secrets = await this.secrets(req.namespace, certificateSecretNames(cp, dataPlanes));
      certificates = planCertificates({
        controlPlane: cp,
        dataPlanes,
        secrets,
        now,
        propagationDelayMs: this.d.caPropagationDelayMs,
      });
      const known = new Map([...secrets].map(([n, s]) => [`Secret/${n}`, s ?? null]));
      await ensureObjects({ ...this.d, caches: {} }, owner, certificates.apply, ctx.log, known);
      for (const ev of certificates.events) await this.d.events.record(owner, ev);
      adminCertificates = await this.adminAccess(cp, now, ctx);
    } catch (err) {
      if (!(err instanceof OperatorError && err.code === 'INVALID_SPEC')) throw err;
      invalidSpec = err.message;
    }

    let workload: KubeObject | undefined;
    if (!invalidSpec) {
      try {
        const ensured = await ensureObjects(
          this.d,
          owner,
          renderControlPlane(cp, { operator: this.d.operatorPeer }),
          ctx.log,
        );
        workload = ensured.find(
          (e) => e.object.kind === 'StatefulSet' || e.object.kind === 'Deployment',
        )?.object;
        await this.removeOtherWorkload(cp);
      } catch (err) {
        if (err instanceof KubeApiError && err.statusCode === 422) {
          // e.g. a StatefulSet's volumeClaimTemplates (lmdb storage) cannot change: retrying cannot
          // help; say so until the spec changes back or the user recreates the StatefulSet.
          invalidSpec = `the workload cannot be updated to this spec: ${err.message}`;
        } else if (err instanceof OperatorError && err.code === 'INVALID_SPEC') {
          invalidSpec = err.message;
        } else throw err;
      }
    }
    if (invalidSpec) ctx.log.warn({ err: invalidSpec }, 'invalid spec');
    const status = controlPlaneStatus(cp, { workload: workload as never, certificates, invalidSpec, now });
    const w = await writeStatus(this.d.client, owner, status, { partial: true }).catch(ignoreNotFound);
    if (w?.outcome === 'updated') ctx.log.debug('status updated');
    const deadlines = [certificates?.nextCheckAt, adminCertificates?.nextCheckAt].filter(
      (t): t is number => t !== undefined,
    );
    if (deadlines.length) {
      return { requeueAfterMs: Math.min(Math.max(Math.min(...deadlines) - now, 1000), MAX_REQUEUE_MS) };
    }
  }

  /**
   * The Admin API's token Secret (made once, never regenerated while usable) and TLS certificate
   * (issued, renewed and rotated like the cluster pki). Returns the certificate plan (its deadline).
   */
  private async adminAccess(
    cp: Kube<ControlPlane>,
    now: number,
    ctx: ReconcileContext,
  ): Promise<CertificatePlan> {
    const owner = cp as unknown as KubeObject;
    const tokenName = controlPlaneNames(cp.metadata.name!).adminTokenSecret;
    const secrets = await this.secrets(cp.metadata.namespace!, [
      ...adminCertificateSecretNames(cp),
      tokenName,
    ]);
    const plan = planAdminCertificates({
      controlPlane: cp,
      secrets,
      now,
      propagationDelayMs: this.d.caPropagationDelayMs,
    });
    const token = planAdminToken(cp, secrets.get(tokenName));
    const known = new Map([...secrets].map(([n, s]) => [`Secret/${n}`, s ?? null]));
    await ensureObjects({ ...this.d, caches: {} }, owner, [...plan.apply, ...token.apply], ctx.log, known);
    for (const ev of [...plan.events, ...token.events]) await this.d.events.record(owner, ev);
    return plan;
  }

  /** After a database type change the other kind of workload is left over: delete it if ours. */
  private async removeOtherWorkload(cp: ControlPlane): Promise<void> {
    const other = controlPlaneWorkloadKind(cp) === 'StatefulSet' ? 'Deployment' : 'StatefulSet';
    const cache = this.d.caches[other];
    const name = controlPlaneNames(cp.metadata.name!).workload;
    const existing = cache?.get(`${cp.metadata.namespace}/${name}`);
    if (existing?.metadata?.ownerReferences?.some((r) => r.uid === cp.metadata.uid && r.controller)) {
      await deleteObject(
        this.d.client,
        RESOURCES[other],
        cp.metadata.namespace!,
        name,
        existing.metadata.uid,
      );
      await this.d.events.record(cp as unknown as KubeObject, {
        type: 'Normal',
        reason: 'Deleted',
        message: `deleted ${other} ${name} (database type changed)`,
      });
    }
  }

  private async secrets(namespace: string, names: string[]): Promise<Map<string, KubeSecret | undefined>> {
    const out = new Map<string, KubeSecret | undefined>();
    for (const name of names) {
      try {
        out.set(
          name,
          await this.d.client.request<KubeSecret>({
            method: 'GET',
            path: resourcePath(RESOURCES.Secret, { namespace, name }),
          }),
        );
      } catch (err) {
        if (!isNotFound(err))
          throw new OperatorError(
            'SECRET_READ_FAILED',
            `reading Secret ${namespace}/${name}: ${errorMessage(err)}`,
            { name },
            { cause: err },
          );
        out.set(name, undefined);
      }
    }
    return out;
  }
}
