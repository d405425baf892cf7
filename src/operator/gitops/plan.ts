import type { DesiredCondition } from '../controllers/conditions.js';

/**
 * The GitOps controller's pure decisions: whether the files must be (re)applied, what counts as
 * drift, how changes and conditions read. The reconciler gathers, asks these, then writes.
 */

/** The condition type the GitOps controller owns on ControlPlane.status. */
export const CONFIGURATION_APPLIED = 'ConfigurationApplied';

/** The tag marking managed entities when spec.declarativeConfig.managedTag is unset. */
export const DEFAULT_MANAGED_TAG = 'hybridgate-managed';

/** The drift check period when spec.declarativeConfig.syncIntervalSeconds is unset. */
export const DEFAULT_SYNC_INTERVAL_SECONDS = 60;

/** A ConfigMap as read for an apply. */
export interface ObservedConfigMap {
  name: string;
  resourceVersion?: string;
}

/** ControlPlane.status.declarativeConfig. */
export interface GitOpsStatus {
  appliedHash?: string;
  lastAppliedTime?: string;
  managedTag?: string;
  observedConfigMaps?: ObservedConfigMap[];
  entities?: number;
}

/** One entity a selective POST /config changed (or would change), as the control plane reports it. */
export interface ChangedEntity {
  op: 'create' | 'update' | 'delete';
  family: string;
  id: string;
  name?: string;
}

/** What to do on this reconcile. */
export type GitOpsAction =
  /** Files, tag and the CP's managed entities are as last applied: nothing to do. */
  | { kind: 'none' }
  /** The files (or the tag) changed, or the last attempt did not succeed: validate and apply. */
  | { kind: 'apply' }
  /** The files did not change but the CP's managed entities did: report and repair. */
  | { kind: 'repair' };

function sameConfigMaps(
  a: readonly ObservedConfigMap[] | undefined,
  b: readonly ObservedConfigMap[],
): boolean {
  if (!a || a.length !== b.length) return false;
  return a.every((x, i) => x.name === b[i]?.name && x.resourceVersion === b[i]?.resourceVersion);
}

/**
 * Decides from the last status, the ConfigMaps just read and the hash of the CP's managed entities.
 * `appliedOk` is whether ConfigurationApplied is True: after a failure every check tries again, so
 * fixing the cause elsewhere (an unmanaged entity in the way) is noticed without touching the files.
 */
export function decide(
  prev: GitOpsStatus | undefined,
  appliedOk: boolean,
  tag: string,
  observed: readonly ObservedConfigMap[],
  currentHash: string,
): GitOpsAction {
  if (!prev || !appliedOk || prev.managedTag !== tag || !sameConfigMaps(prev.observedConfigMaps, observed)) {
    return { kind: 'apply' };
  }
  return prev.appliedHash === currentHash ? { kind: 'none' } : { kind: 'repair' };
}

const VERBS: Record<ChangedEntity['op'], string> = {
  create: 'created',
  update: 'updated',
  delete: 'deleted',
};

/**
 * `services: echo (updated), other (deleted); routes: r1 (created)`, at most `limit` entities named
 * (the rest counted), so an Event stays readable.
 */
export function describeChanges(entities: readonly ChangedEntity[], limit = 10): string {
  if (entities.length === 0) return 'no changes';
  const byFamily = new Map<string, string[]>();
  for (const e of entities.slice(0, limit)) {
    const list = byFamily.get(e.family) ?? [];
    list.push(`${e.name ?? e.id} (${VERBS[e.op]})`);
    byFamily.set(e.family, list);
  }
  const text = [...byFamily].map(([family, list]) => `${family}: ${list.join(', ')}`).join('; ');
  return entities.length > limit ? `${text}; and ${entities.length - limit} more` : text;
}

/** True: the files are what the CP's managed entities are. */
export function appliedCondition(entities: number, files: number, tag: string): DesiredCondition {
  return {
    type: CONFIGURATION_APPLIED,
    status: 'True',
    reason: 'Applied',
    message: `${entities} entities tagged ${tag} match ${files} file(s)`,
  };
}

/** False: the files are invalid (or could not be read); nothing was applied. */
export function invalidCondition(message: string): DesiredCondition {
  return {
    type: CONFIGURATION_APPLIED,
    status: 'False',
    reason: 'InvalidConfiguration',
    message: `nothing applied: ${message}`.slice(0, 32_768),
  };
}

/** Unknown: the control plane's Admin API could not be asked. */
export function unreachableCondition(message: string): DesiredCondition {
  return {
    type: CONFIGURATION_APPLIED,
    status: 'Unknown',
    reason: 'ControlPlaneUnreachable',
    message: message.slice(0, 32_768),
  };
}
