import type { Kube } from '../../../api/meta.js';
import type { ControlPlane } from '../../../api/v1alpha1/index.js';
import { errorMessage } from '../../../shared/errors.js';
import { adminTransport, type AdminEndpoint, type AdminTransport } from '../../admin-api/admin-request.js';
import { ADMIN_URL_OVERRIDE_ANNOTATION, type SecretSource } from '../../admin-api/resolve-admin-endpoint.js';
import { filesFromConfigMaps, type KubeConfigMap } from '../../gitops/config-map-files.js';
import { entityCount, managedHash } from '../../gitops/managed-hash.js';
import {
  ConfigFilesError,
  locateInFiles,
  mergeDeclarativeFiles,
  type MergedConfig,
} from '../../gitops/merge-files.js';
import {
  appliedCondition,
  CONFIGURATION_APPLIED,
  decide,
  DEFAULT_MANAGED_TAG,
  DEFAULT_SYNC_INTERVAL_SECONDS,
  describeChanges,
  invalidCondition,
  unreachableCondition,
  type GitOpsStatus,
  type ObservedConfigMap,
} from '../../gitops/plan.js';
import type { EventRecord, EventRecorder } from '../../kube/events.js';
import type { KubeClient } from '../../kube/kube-client.js';
import { writeStatus } from '../../kube/status.js';
import type {
  ReconcileContext,
  ReconcileRequest,
  ReconcileResult,
  Reconciler,
} from '../../manager/reconcile.js';
import { setConditions, type DesiredCondition } from '../conditions.js';
import { gitOpsAdminEndpoint } from './admin-endpoint.js';
import { exportManaged, postManaged } from './gitops-admin.js';

/** The field manager of the GitOps part of ControlPlane.status (other controllers own the rest). */
export const GITOPS_FIELD_MANAGER = 'hybridgate-operator-gitops';

// An unreachable CP is asked again sooner than the drift period, but not in a tight loop.
const UNREACHABLE_RETRY_MS = 10_000;

/** What the GitOps reconciler needs. */
export interface GitOpsReconcilerDeps {
  client: KubeClient;
  controlPlane(namespace: string, name: string): Kube<ControlPlane> | undefined;
  configMap(namespace: string, name: string): KubeConfigMap | undefined;
  /** The operator's Secrets (an informer's cache): each CP's admin token and CA. */
  secrets: SecretSource;
  events?: EventRecorder;
  now?(): number;
  /** Test-only: honour the admin URL override annotation. */
  allowAdminUrlOverride?: boolean;
  /** Test-only: the drift check period whatever spec.declarativeConfig.syncIntervalSeconds says. */
  syncIntervalMsOverride?: number;
  /** The Admin API transport of an endpoint (tests may wrap it). */
  transport?(endpoint: AdminEndpoint): AdminTransport;
}

/** One reconcile's outcome, before the status write. */
interface Outcome {
  condition: DesiredCondition;
  status: GitOpsStatus | undefined;
  requeueAfterMs: number;
}

/**
 * The `gitops` controller, keyed by ControlPlane: reads the ConfigMaps spec.declarativeConfig names,
 * merges the files, and makes the CP's entities carrying the managed tag match them through
 * `POST /config?select_tags` (dry run first: an invalid file changes nothing). Every sync interval
 * (the requeue delay) it hashes `GET /config?select_tags` and, on a difference nobody wrote through
 * the files, reports the drift (Event), re-applies and reports the repair. Status is written only
 * when it changes; an Event that would repeat (same reason and message) is not recorded again.
 */
export class GitOpsReconciler implements Reconciler {
  private readonly d: GitOpsReconcilerDeps;
  // Per ControlPlane: the last repeatable Event recorded, so a steady failure is reported once.
  private readonly lastEvent = new Map<string, string>();
  // Per ControlPlane: when its managed entities were last found as applied, and from which inputs.
  // Other controllers' status writes requeue the key too; within the sync interval, with the same
  // inputs, such a reconcile asks the Admin API nothing.
  private readonly lastCheck = new Map<string, { inputs: string; at: number }>();
  // Per ControlPlane: the GitOps status this controller last wrote (it is the only writer of those
  // fields). The informer's copy can lag behind our own write; deciding from a stale copy would take
  // a drift repair for a file change and report no drift.
  private readonly lastWritten = new Map<
    string,
    { uid: string | undefined; status?: GitOpsStatus; ok: boolean }
  >();

  constructor(deps: GitOpsReconcilerDeps) {
    this.d = deps;
  }

  private now(): number {
    return (this.d.now ?? Date.now)();
  }

  async reconcile(req: ReconcileRequest, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    const cp = this.d.controlPlane(req.namespace, req.name);
    if (!cp) {
      this.lastEvent.delete(req.key);
      this.lastCheck.delete(req.key);
      this.lastWritten.delete(req.key);
      return;
    }
    const spec = cp.spec?.declarativeConfig;
    const current = cp.status?.declarativeConfig as GitOpsStatus | undefined;
    const hasCondition = (cp.status?.conditions ?? []).some((c) => c.type === CONFIGURATION_APPLIED);
    if (!spec) {
      this.lastEvent.delete(req.key);
      this.lastCheck.delete(req.key);
      this.lastWritten.delete(req.key);
      // Stop showing what no longer applies; the managed entities stay (deleting them is not asked for).
      if (current || hasCondition)
        await writeStatus(this.d.client, cp, {}, { fieldManager: GITOPS_FIELD_MANAGER });
      return;
    }
    const outcome = await this.converge(req.key, cp, ctx);
    const conditions = setConditions(
      cp.status?.conditions,
      [outcome.condition],
      cp.metadata.generation,
      this.now(),
    );
    const status: Record<string, unknown> = { conditions };
    if (outcome.status) status['declarativeConfig'] = outcome.status;
    const { outcome: written } = await writeStatus(this.d.client, cp, status, {
      partial: true,
      fieldManager: GITOPS_FIELD_MANAGER,
    });
    if (written === 'updated') ctx.log.info({ condition: outcome.condition.reason }, 'gitops status updated');
    this.lastWritten.set(req.key, {
      uid: cp.metadata.uid,
      ...(outcome.status ? { status: outcome.status } : {}),
      ok: outcome.condition.status === 'True',
    });
    return { requeueAfterMs: outcome.requeueAfterMs };
  }

  // Gather, decide, apply; never throws for what the status should say (bad files, unreachable CP).
  private async converge(key: string, cp: Kube<ControlPlane>, ctx: ReconcileContext): Promise<Outcome> {
    const spec = cp.spec.declarativeConfig!;
    const tag = spec.managedTag ?? DEFAULT_MANAGED_TAG;
    const intervalMs =
      this.d.syncIntervalMsOverride ?? (spec.syncIntervalSeconds ?? DEFAULT_SYNC_INTERVAL_SECONDS) * 1000;
    const mine = this.lastWritten.get(key);
    const fresh = mine && mine.uid === cp.metadata.uid ? mine : undefined;
    const prev = fresh ? fresh.status : (cp.status?.declarativeConfig as GitOpsStatus | undefined);
    const appliedOk = fresh
      ? fresh.ok
      : (cp.status?.conditions ?? []).some((c) => c.type === CONFIGURATION_APPLIED && c.status === 'True');
    const invalid = async (message: string): Promise<Outcome> => {
      await this.recordOnce(key, cp, { type: 'Warning', reason: 'InvalidConfiguration', message });
      return { condition: invalidCondition(message), status: prev, requeueAfterMs: intervalMs };
    };

    let merged: MergedConfig;
    let observed: ObservedConfigMap[];
    try {
      const read = filesFromConfigMaps(
        spec.configMapRefs,
        cp.metadata.namespace ?? 'default',
        this.d.configMap,
      );
      observed = read.observed;
      merged = mergeDeclarativeFiles(read.files);
    } catch (err) {
      if (err instanceof ConfigFilesError) return invalid(err.message);
      throw err;
    }

    const override = cp.metadata.annotations?.[ADMIN_URL_OVERRIDE_ANNOTATION];
    const inputs = JSON.stringify([cp.metadata.generation, override, tag, observed, prev?.appliedHash]);
    const last = this.lastCheck.get(key);
    this.lastCheck.delete(key);
    const sinceMs = this.now() - (last?.at ?? 0);
    if (appliedOk && last?.inputs === inputs && sinceMs >= 0 && sinceMs < intervalMs) {
      this.lastCheck.set(key, last);
      const condition = appliedCondition(prev?.entities ?? 0, merged.files, tag);
      return { condition, status: prev, requeueAfterMs: intervalMs - sinceMs };
    }

    let admin: AdminTransport | undefined;
    try {
      const endpoint = await gitOpsAdminEndpoint(cp, this.d.secrets, this.d.allowAdminUrlOverride ?? false);
      admin = (this.d.transport ?? ((e: AdminEndpoint) => adminTransport(e, { timeoutMs: 10_000 })))(
        endpoint,
      );
      const currentHash = managedHash(await exportManaged(admin, tag));
      const action = decide(prev, appliedOk, tag, observed, currentHash);
      if (action.kind === 'none') {
        this.lastEvent.delete(key);
        this.lastCheck.set(key, { inputs, at: this.now() });
        return {
          condition: appliedCondition(prev?.entities ?? 0, merged.files, tag),
          status: prev,
          requeueAfterMs: intervalMs,
        };
      }
      const dry = await postManaged(admin, tag, merged.document, true);
      if ('refused' in dry) return invalid(locateInFiles(dry.refused, merged.origins));
      const drift = action.kind === 'repair';
      const changed = dry.total.created + dry.total.updated + dry.total.deleted > 0;
      let exported: unknown = undefined;
      let appliedAt = prev?.lastAppliedTime;
      if (changed) {
        if (drift) {
          await this.d.events?.record(cp, {
            type: 'Warning',
            reason: 'DriftDetected',
            message: `entities tagged ${tag} were changed through the Admin API: ${describeChanges(dry.entities)}`,
          });
        }
        const real = await postManaged(admin, tag, merged.document, false);
        if ('refused' in real) return invalid(locateInFiles(real.refused, merged.origins));
        exported = real.config;
        appliedAt = new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
        const what = describeChanges(real.entities);
        ctx.log.info({ tag, drift, changes: real.entities.length }, 'gitops configuration applied');
        await this.d.events?.record(
          cp,
          drift
            ? { type: 'Normal', reason: 'DriftRepaired', message: `restored from the ConfigMaps: ${what}` }
            : {
                type: 'Normal',
                reason: 'ConfigurationApplied',
                message: `applied ${merged.files} file(s): ${what}`,
              },
        );
      } else {
        exported = await exportManaged(admin, tag);
      }
      this.lastEvent.delete(key);
      const entities = entityCount(exported);
      const status: GitOpsStatus = {
        appliedHash: managedHash(exported),
        ...(appliedAt ? { lastAppliedTime: appliedAt } : {}),
        managedTag: tag,
        observedConfigMaps: observed,
        entities,
      };
      return { condition: appliedCondition(entities, merged.files, tag), status, requeueAfterMs: intervalMs };
    } catch (err) {
      const message = `control plane Admin API: ${errorMessage(err)}`;
      ctx.log.warn({ err: errorMessage(err) }, 'gitops: control plane unreachable');
      await this.recordOnce(key, cp, { type: 'Warning', reason: 'ControlPlaneUnreachable', message });
      return {
        condition: unreachableCondition(message),
        status: prev,
        requeueAfterMs: Math.min(intervalMs, UNREACHABLE_RETRY_MS),
      };
    } finally {
      await admin?.close().catch(() => undefined);
    }
  }

  // Records an Event unless the same one was the last recorded for this ControlPlane.
  private async recordOnce(key: string, cp: Kube<ControlPlane>, ev: EventRecord): Promise<void> {
    const fingerprint = `${ev.reason}\0${ev.message}`;
    if (this.lastEvent.get(key) === fingerprint) return;
    this.lastEvent.set(key, fingerprint);
    await this.d.events?.record(cp, ev);
  }
}
