import semver from 'semver';
import type { Condition } from '../../api/meta.js';
import type { DesiredCondition } from '../controllers/conditions.js';
import type { EventRecord } from '../kube/events.js';
import { imageFor } from '../resources/pod-template.js';
import { rolloutState, type RolloutState, type WorkloadView } from './workload-rollout.js';

/** The version and image a child (ControlPlane or DataPlane) is given. */
export interface VersionTarget {
  version: string;
  image?: string;
}

/** A child as it exists now: its spec's version/image, its workload and what its status says. */
export interface ObservedChild extends VersionTarget {
  generation?: number;
  observedGeneration?: number;
  workload?: WorkloadView;
  conditions?: Condition[];
  /** DataPlane.status.counts (fleet status). */
  counts?: { synced?: number; total?: number };
  /** ControlPlane.status.configHash (present when fleet status runs). */
  configHash?: string;
}

/** The rollout in progress, as HybridCluster.status.upgrade keeps it between reconciles. */
export interface UpgradeState {
  version: string;
  fromVersion?: string;
  /** `controlPlane` or `dataPlane/<group>`: what the rollout waits for. */
  step: string;
}

/** Everything the plan is decided from: the cluster's spec and the children as observed. */
export interface UpgradeInput {
  version: string;
  image?: string;
  /** spec.dataPlanes in spec order (the order groups are moved in). */
  groups: { name: string; version?: string }[];
  /** Undefined until the ControlPlane exists (first creation: everything starts at its target). */
  controlPlane?: ObservedChild;
  dataPlanes: ReadonlyMap<string, ObservedChild>;
  /** HybridCluster.status.upgrade and the Progressing condition from the last reconcile. */
  previous?: UpgradeState;
  previousProgressing?: Pick<Condition, 'status' | 'reason'>;
  /** Whether the fleet-status controller runs; undefined: inferred from the children's status. */
  fleetStatus?: boolean;
}

/** What to set on each child, the rollout state to keep, the Progressing condition and the Events. */
export interface UpgradePlan {
  controlPlane: VersionTarget;
  dataPlanes: Map<string, VersionTarget>;
  upgrade?: UpgradeState;
  progressing: DesiredCondition;
  events: EventRecord[];
}

/** Progressing reasons (CamelCase, stable: users and tests match on them). */
export const PROGRESSING_REASONS = {
  UpgradingControlPlane: 'UpgradingControlPlane',
  UpgradingDataPlanes: 'UpgradingDataPlanes',
  UpgradeComplete: 'UpgradeComplete',
  AsExpected: 'AsExpected',
} as const;

const CP_STEP = 'controlPlane';
const groupStep = (g: string) => `dataPlane/${g}`;

interface Unit {
  step: string;
  label: string;
  current?: VersionTarget;
  target: VersionTarget;
  settle(): RolloutState;
}

const same = (a: VersionTarget, b: VersionTarget) =>
  a.version === b.version && (a.image ?? '') === (b.image ?? '');
const pick = (v: VersionTarget): VersionTarget =>
  v.image !== undefined ? { version: v.version, image: v.image } : { version: v.version };
const cond = (c: ObservedChild | undefined, type: string) => c?.conditions?.find((x) => x.type === type);
// Newer by major.minor: what Kong's rule compares (unparsable versions never count as newer).
const newerMinor = (a: string, b: string) => {
  const x = semver.parse(a);
  const y = semver.parse(b);
  return !!x && !!y && (x.major > y.major || (x.major === y.major && x.minor > y.minor));
};

/**
 * Pure: the version each child of a HybridCluster gets now. A version change moves one child at a
 * time — the ControlPlane first, then the groups in spec order (a downgrade: the groups first, the
 * ControlPlane last) so that no data plane ever runs a newer minor than its control plane — and each
 * next child only once the one before has rolled out (a group also Synced, when fleet status runs).
 * Children not yet moved keep the version they have; a group created mid-upgrade starts at the
 * control plane's version. The state lives in the children's specs and `previous` (the cluster's
 * status), so equal inputs give an equal plan and a restarted operator continues where it stopped.
 */
export function planUpgrade(input: UpgradeInput): UpgradePlan {
  const cpTarget = pick({ version: input.version, image: input.image });
  const groupTarget = (g: { version?: string }) => (g.version ? { version: g.version } : cpTarget);
  const cp = input.controlPlane;
  const fleet =
    input.fleetStatus ??
    (!!cp?.configHash || [...input.dataPlanes.values()].some((d) => cond(d, 'Synced') !== undefined));
  if (!cp) return firstCreation(input, cpTarget, groupTarget);

  const cpCurrent = pick(cp);
  const downgrade =
    !!semver.valid(cpTarget.version) &&
    !!semver.valid(cpCurrent.version) &&
    semver.lt(cpTarget.version, cpCurrent.version);
  const cpUnit: Unit = {
    step: CP_STEP,
    label: 'control plane',
    current: cpCurrent,
    target: cpTarget,
    settle: () => childRollout(cp, cpTarget),
  };
  const groups = input.groups;
  const groupUnits: Unit[] = groups.map((g, i) => {
    const dp = input.dataPlanes.get(g.name);
    const target = groupTarget(g);
    return {
      step: groupStep(g.name),
      label: `group ${i + 1}/${groups.length} (${g.name})`,
      ...(dp ? { current: pick(dp) } : {}),
      target,
      settle: () => groupSettled(dp, target, fleet),
    };
  });
  const units = downgrade ? [...groupUnits, cpUnit] : [cpUnit, ...groupUnits];

  const desired = new Map<string, VersionTarget>();
  const moved: Unit[] = [];
  let blocker: { unit: Unit; why: string } | undefined;
  let pending = false;
  for (const u of units) {
    if (!u.current) continue; // a new group: placed after the loop, never waited on
    if (!same(u.current, u.target)) {
      pending = true;
      if (blocker) {
        desired.set(u.step, u.current);
        continue;
      }
      desired.set(u.step, u.target);
      moved.push(u);
      blocker = { unit: u, why: `moving from ${u.current.version} to ${u.target.version}` };
      continue;
    }
    desired.set(u.step, u.target);
    if (!blocker) {
      const s = u.settle();
      if (!s.done) blocker = { unit: u, why: s.message };
    }
  }
  const cpDesired = desired.get(CP_STEP)!;
  const dataPlanes = new Map<string, VersionTarget>();
  for (const u of groupUnits) {
    const group = u.step.slice('dataPlane/'.length);
    if (u.current) dataPlanes.set(group, desired.get(u.step)!);
    // Never newer than the control plane as it is set now; the ordinary steps move it later.
    else dataPlanes.set(group, newerMinor(u.target.version, cpDesired.version) ? cpDesired : u.target);
  }

  const prev = input.previous;
  const active = pending || (!!prev && !!blocker);
  const upgrade: UpgradeState | undefined = active
    ? {
        version: input.version,
        fromVersion: prev?.fromVersion ?? cpCurrent.version,
        step: blocker!.unit.step,
      }
    : undefined;
  const events = upgradeEvents(input, prev, upgrade, units, downgrade, fleet);
  return {
    controlPlane: cpDesired,
    dataPlanes,
    ...(upgrade ? { upgrade } : {}),
    progressing: progressing(input, upgrade, blocker, fleet, downgrade),
    events,
  };
}

function firstCreation(
  input: UpgradeInput,
  cpTarget: VersionTarget,
  groupTarget: (g: { version?: string }) => VersionTarget,
): UpgradePlan {
  return {
    controlPlane: cpTarget,
    dataPlanes: new Map(input.groups.map((g) => [g.name, groupTarget(g)])),
    progressing: {
      type: 'Progressing',
      status: 'False',
      reason: PROGRESSING_REASONS.AsExpected,
      message: 'no version change in progress',
    },
    events: [],
  };
}

// The child's controller has seen its spec (when it reports observedGeneration) and the workload rolled out.
function childRollout(c: ObservedChild, target: VersionTarget): RolloutState {
  if (c.observedGeneration !== undefined && c.generation !== undefined && c.observedGeneration < c.generation)
    return { done: false, message: `waiting for its controller to see generation ${c.generation}` };
  return rolloutState(c.workload, imageFor(target));
}

function groupSettled(dp: ObservedChild | undefined, target: VersionTarget, fleet: boolean): RolloutState {
  if (!dp) return { done: false, message: 'its DataPlane does not exist yet' };
  const rollout = childRollout(dp, target);
  if (!rollout.done) return rollout;
  const desired = dp.workload?.spec?.replicas ?? 1;
  if (desired === 0 || !fleet) return rollout;
  const synced = cond(dp, 'Synced');
  const n = dp.counts?.synced ?? 0;
  const of = dp.counts?.total ?? desired;
  if (!synced)
    return { done: false, message: 'waiting for Synced (fleet status has not reported the group yet)' };
  if (synced.status === 'True' && n >= desired)
    return { done: true, message: `${n}/${of} data planes synced` };
  if (synced.status === 'Unknown')
    return { done: false, message: `waiting for Synced (Unknown, ${synced.reason}: ${synced.message})` };
  return {
    done: false,
    message: `waiting for Synced (${n}/${Math.max(of, desired)} data planes on the current hash)`,
  };
}

function progressing(
  input: UpgradeInput,
  upgrade: UpgradeState | undefined,
  blocker: { unit: Unit; why: string } | undefined,
  fleet: boolean,
  downgrade: boolean,
): DesiredCondition {
  if (upgrade && blocker) {
    const onCp = upgrade.step === CP_STEP;
    const note =
      !onCp && !fleet ? '; Synced is unavailable (fleet status off), so only Ready is waited for' : '';
    const verb = downgrade ? 'downgrading' : 'upgrading';
    return {
      type: 'Progressing',
      status: 'True',
      reason: onCp ? PROGRESSING_REASONS.UpgradingControlPlane : PROGRESSING_REASONS.UpgradingDataPlanes,
      message: `${verb} ${upgrade.fromVersion} to ${upgrade.version}: ${blocker.unit.label}: ${blocker.why}${note}`,
    };
  }
  const finished =
    !!input.previous || input.previousProgressing?.reason === PROGRESSING_REASONS.UpgradeComplete;
  return finished
    ? {
        type: 'Progressing',
        status: 'False',
        reason: PROGRESSING_REASONS.UpgradeComplete,
        message: `the control plane and every data plane group run their target version (${input.version})`,
      }
    : {
        type: 'Progressing',
        status: 'False',
        reason: PROGRESSING_REASONS.AsExpected,
        message: 'no version change in progress',
      };
}

// Events mark transitions of the kept state (start, each step done, the end), so a reconcile that
// changes nothing records nothing.
function upgradeEvents(
  input: UpgradeInput,
  prev: UpgradeState | undefined,
  next: UpgradeState | undefined,
  units: Unit[],
  downgrade: boolean,
  fleet: boolean,
): EventRecord[] {
  const out: EventRecord[] = [];
  if (prev && prev.step !== next?.step) {
    const done = units.find((u) => u.step === prev.step);
    if (done?.current && same(done.current, done.target))
      out.push(
        done.step === CP_STEP
          ? {
              type: 'Normal',
              reason: 'ControlPlaneUpgraded',
              message: `control plane rolled out at ${done.target.version}`,
            }
          : {
              type: 'Normal',
              reason: 'DataPlaneGroupUpgraded',
              message: `data plane ${done.label} rolled out at ${done.target.version}${fleet ? ' and synced' : ''}`,
            },
      );
  }
  if (next && (!prev || prev.version !== next.version)) {
    const order = downgrade
      ? 'data plane groups first, one at a time, then the control plane'
      : 'control plane first, then each data plane group in turn';
    out.push({
      type: 'Normal',
      reason: 'UpgradeStarted',
      message: `${downgrade ? 'downgrading' : 'upgrading'} ${next.fromVersion} to ${next.version}: ${order}`,
    });
  }
  if (prev && !next)
    out.push({
      type: 'Normal',
      reason: 'UpgradeCompleted',
      message: `the control plane and every data plane group run their target version (${input.version})`,
    });
  return out;
}
