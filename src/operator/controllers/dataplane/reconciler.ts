import type { Kube, KubeObject } from '../../../api/meta.js';
import type { ControlPlane, DataPlane } from '../../../api/v1alpha1/index.js';
import { secretText, type KubeSecret } from '../../certificates/secrets.js';
import { validateCertificateSecret } from '../../certificates/validate.js';
import { OperatorError, ignoreNotFound, isNotFound } from '../../errors.js';
import { resourcePath, RESOURCES } from '../../kube/resources.js';
import { writeStatus } from '../../kube/status.js';
import type { Informer } from '../../manager/informer.js';
import type {
  ReconcileContext,
  ReconcileRequest,
  ReconcileResult,
  Reconciler,
} from '../../manager/reconcile.js';
import { selectorLabels, selectorString } from '../../resources/labels.js';
import { ensureObjects, type EnsureDeps } from '../ensure.js';
import { dataPlaneStatus } from './conditions.js';
import { checkDataPlaneVersion } from '../../upgrade/version-rule.js';
import { renderDataPlane, resolveControlPlaneTarget, type ControlPlaneTarget } from './render.js';

// Errors that block a DataPlane (Ready False with this reason) instead of being retried.
const BLOCKED_REASONS = {
  INVALID_SPEC: 'InvalidSpec',
  CONTROL_PLANE_NOT_FOUND: 'ControlPlaneNotFound',
  VERSION_INCOMPATIBLE: 'VersionIncompatible',
} as const;

/** What the DataPlane reconciler reads and writes through. */
export interface DataPlaneReconcilerDeps extends EnsureDeps {
  dataPlanes: Informer<Kube<DataPlane>>;
  controlPlanes: Informer<Kube<ControlPlane>>;
  now(): number;
}

/**
 * DataPlane: get → gather (its ControlPlane, the certificate Secret it mounts) → render → ensure →
 * status (own keys only). A missing ControlPlane is a status, not an error: the ControlPlane watch
 * requeues the DataPlane when it appears.
 */
export class DataPlaneReconciler implements Reconciler {
  private readonly d: DataPlaneReconcilerDeps;

  constructor(deps: DataPlaneReconcilerDeps) {
    this.d = deps;
  }

  async reconcile(req: ReconcileRequest, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    const dp = this.d.dataPlanes.get(req.key);
    if (!dp || dp.metadata.deletionTimestamp) return;
    const ref = dp.spec.controlPlaneRef?.name;
    const cp = ref ? this.d.controlPlanes.get(`${req.namespace}/${ref}`) : undefined;
    const selector = selectorString(
      selectorLabels({ instance: req.name, component: 'data-plane', cluster: '' }),
    );
    let target: ControlPlaneTarget | undefined;
    let blocked: { reason: string; message: string } | undefined;
    let deployment: KubeObject | undefined;
    let certificateProblems: string[] | undefined;
    try {
      target = resolveControlPlaneTarget(dp, cp);
      // Kong's CP would refuse a DP with a newer minor: keep the running Deployment and say why.
      const rule = cp ? checkDataPlaneVersion(dp.spec.version, cp.spec.version) : undefined;
      if (rule && !rule.ok) {
        throw new OperatorError('VERSION_INCOMPATIBLE', rule.message, { reason: rule.reason });
      }
      const ensured = await ensureObjects(this.d, dp, renderDataPlane(dp, target), ctx.log);
      deployment = ensured.find((e) => e.object.kind === 'Deployment')?.object;
      certificateProblems = await this.checkCertificate(req.namespace, target);
    } catch (err) {
      if (!(err instanceof OperatorError) || !(err.code in BLOCKED_REASONS)) throw err;
      blocked = {
        reason:
          err.code === 'VERSION_INCOMPATIBLE'
            ? String(err.context['reason'])
            : BLOCKED_REASONS[err.code as keyof typeof BLOCKED_REASONS],
        message: err.message,
      };
      ctx.log.warn({ err: err.message }, 'data plane blocked');
    }
    const status = dataPlaneStatus(dp, {
      deployment: deployment as never,
      selector,
      blocked,
      certificateProblems,
      now: this.d.now(),
    });
    await writeStatus(this.d.client, dp, status, { partial: true }).catch(ignoreNotFound);
  }

  private async checkCertificate(namespace: string, target: ControlPlaneTarget): Promise<string[]> {
    let secret: KubeSecret | undefined;
    try {
      secret = await this.d.client.request<KubeSecret>({
        method: 'GET',
        path: resourcePath(RESOURCES.Secret, { namespace, name: target.certificateSecret }),
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    return validateCertificateSecret(target.certificateSecret, secretText(secret), {
      now: this.d.now(),
      requireCa: target.mode === 'pki',
    }).problems;
  }
}

/** The DataPlanes that reference a ControlPlane (a ControlPlane event requeues them). */
export function dataPlanesOf(dataPlanes: Informer<Kube<DataPlane>>, cp: KubeObject): string[] {
  const ns = cp.metadata?.namespace;
  return dataPlanes
    .list()
    .filter((d) => d.metadata.namespace === ns && d.spec.controlPlaneRef?.name === cp.metadata?.name)
    .map((d) => `${ns}/${d.metadata.name}`);
}
