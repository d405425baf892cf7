import { describe, it, expect } from '@jest/globals';
import type { Condition } from '../../api/meta.js';
import { imageFor } from '../resources/pod-template.js';
import { planUpgrade, type ObservedChild, type UpgradeInput, type UpgradePlan } from './plan-upgrade.js';

// A child whose workload has rolled out `rolled` (default: its own version) with `replicas` pods.
function child(
  version: string,
  o: { rolled?: string | null; replicas?: number; synced?: boolean | 'Unknown'; syncedNodes?: number } = {},
): ObservedChild {
  const replicas = o.replicas ?? 2;
  const rolled = o.rolled === undefined ? version : o.rolled;
  const conditions: Condition[] = [];
  if (o.synced !== undefined)
    conditions.push({
      type: 'Synced',
      status: o.synced === 'Unknown' ? 'Unknown' : o.synced ? 'True' : 'False',
      reason: o.synced === 'Unknown' ? 'ControlPlaneUnreachable' : 'X',
      message: 'm',
      lastTransitionTime: '2026-01-01T00:00:00Z',
    });
  return {
    version,
    generation: 2,
    observedGeneration: 2,
    conditions,
    ...(o.synced !== undefined
      ? { counts: { synced: o.syncedNodes ?? (o.synced === true ? replicas : 0), total: replicas } }
      : {}),
    workload:
      rolled === null
        ? undefined
        : {
            kind: 'Deployment',
            metadata: { generation: 5 },
            spec: {
              replicas,
              template: {
                spec: { containers: [{ name: 'hybridgate', image: imageFor({ version: rolled }) }] },
              },
            },
            status: { observedGeneration: 5, replicas, updatedReplicas: replicas, readyReplicas: replicas },
          },
  };
}

const groups = [{ name: 'a' }, { name: 'b' }, { name: 'c' }];
const input = (o: Partial<UpgradeInput>): UpgradeInput => ({
  version: '0.2.0',
  groups,
  controlPlane: child('0.1.0'),
  dataPlanes: new Map([
    ['a', child('0.1.0', { synced: true })],
    ['b', child('0.1.0', { synced: true })],
    ['c', child('0.1.0', { synced: true })],
  ]),
  ...o,
});
const versions = (p: UpgradePlan) => [
  p.controlPlane.version,
  ...[...p.dataPlanes.values()].map((v) => v.version),
];
const reasons = (p: UpgradePlan) => p.events.map((e) => e.reason);

describe('planUpgrade', () => {
  it.each<[string, Partial<UpgradeInput>, string[], string, RegExp, string[]]>([
    [
      'a version change moves the control plane first, groups keep theirs',
      {},
      ['0.2.0', '0.1.0', '0.1.0', '0.1.0'],
      'UpgradingControlPlane',
      /^upgrading 0\.1\.0 to 0\.2\.0: control plane: moving from 0\.1\.0 to 0\.2\.0$/,
      ['UpgradeStarted'],
    ],
    [
      'groups wait while the control plane rolls out',
      {
        controlPlane: child('0.2.0', { rolled: '0.1.0' }),
        previous: { version: '0.2.0', fromVersion: '0.1.0', step: 'controlPlane' },
      },
      ['0.2.0', '0.1.0', '0.1.0', '0.1.0'],
      'UpgradingControlPlane',
      /control plane: its workload still has image .*:0\.1\.0, not .*:0\.2\.0/,
      [],
    ],
    [
      'the first group moves once the control plane has rolled out',
      {
        controlPlane: child('0.2.0'),
        previous: { version: '0.2.0', fromVersion: '0.1.0', step: 'controlPlane' },
      },
      ['0.2.0', '0.2.0', '0.1.0', '0.1.0'],
      'UpgradingDataPlanes',
      /group 1\/3 \(a\): moving from 0\.1\.0 to 0\.2\.0/,
      ['ControlPlaneUpgraded'],
    ],
    [
      'a rolled-out group that is not Synced yet holds the next one',
      {
        controlPlane: child('0.2.0'),
        dataPlanes: new Map([
          ['a', child('0.2.0', { synced: false, syncedNodes: 1 })],
          ['b', child('0.1.0', { synced: true })],
          ['c', child('0.1.0', { synced: true })],
        ]),
        previous: { version: '0.2.0', fromVersion: '0.1.0', step: 'dataPlane/a' },
      },
      ['0.2.0', '0.2.0', '0.1.0', '0.1.0'],
      'UpgradingDataPlanes',
      /group 1\/3 \(a\): waiting for Synced \(1\/2 data planes on the current hash\)$/,
      [],
    ],
    [
      'Synced Unknown (control plane unreachable) holds too, and says why',
      {
        controlPlane: child('0.2.0'),
        dataPlanes: new Map([
          ['a', child('0.2.0', { synced: 'Unknown' })],
          ['b', child('0.1.0', { synced: true })],
          ['c', child('0.1.0', { synced: true })],
        ]),
        previous: { version: '0.2.0', fromVersion: '0.1.0', step: 'dataPlane/a' },
      },
      ['0.2.0', '0.2.0', '0.1.0', '0.1.0'],
      'UpgradingDataPlanes',
      /waiting for Synced \(Unknown, ControlPlaneUnreachable: m\)/,
      [],
    ],
    [
      'the next group moves once the previous one is Ready and Synced',
      {
        controlPlane: child('0.2.0'),
        dataPlanes: new Map([
          ['a', child('0.2.0', { synced: true })],
          ['b', child('0.1.0', { synced: true })],
          ['c', child('0.1.0', { synced: true })],
        ]),
        previous: { version: '0.2.0', fromVersion: '0.1.0', step: 'dataPlane/a' },
      },
      ['0.2.0', '0.2.0', '0.2.0', '0.1.0'],
      'UpgradingDataPlanes',
      /group 2\/3 \(b\): moving/,
      ['DataPlaneGroupUpgraded'],
    ],
    [
      'the last group settling completes the upgrade',
      {
        controlPlane: child('0.2.0'),
        dataPlanes: new Map([
          ['a', child('0.2.0', { synced: true })],
          ['b', child('0.2.0', { synced: true })],
          ['c', child('0.2.0', { synced: true })],
        ]),
        previous: { version: '0.2.0', fromVersion: '0.1.0', step: 'dataPlane/c' },
      },
      ['0.2.0', '0.2.0', '0.2.0', '0.2.0'],
      'UpgradeComplete',
      /run their target version \(0\.2\.0\)/,
      ['DataPlaneGroupUpgraded', 'UpgradeCompleted'],
    ],
    [
      'without fleet status (no Synced anywhere) Ready alone moves the next group, and it says so',
      {
        controlPlane: child('0.2.0'),
        dataPlanes: new Map([
          ['a', child('0.2.0')],
          ['b', child('0.1.0', { rolled: '0.1.0' })],
          ['c', child('0.1.0')],
        ]),
        previous: { version: '0.2.0', fromVersion: '0.1.0', step: 'dataPlane/a' },
      },
      ['0.2.0', '0.2.0', '0.2.0', '0.1.0'],
      'UpgradingDataPlanes',
      /group 2\/3 \(b\): moving .*; Synced is unavailable \(fleet status off\), so only Ready is waited for$/,
      ['DataPlaneGroupUpgraded'],
    ],
    [
      'a downgrade moves the groups first and the control plane last',
      {
        version: '0.1.0',
        controlPlane: child('0.2.0'),
        dataPlanes: new Map([
          ['a', child('0.2.0', { synced: true })],
          ['b', child('0.2.0', { synced: true })],
          ['c', child('0.2.0', { synced: true })],
        ]),
      },
      ['0.2.0', '0.1.0', '0.2.0', '0.2.0'],
      'UpgradingDataPlanes',
      /^downgrading 0\.2\.0 to 0\.1\.0: group 1\/3 \(a\): moving/,
      ['UpgradeStarted'],
    ],
    [
      'steady state: nothing moves, nothing recorded, even when a group is not ready',
      {
        version: '0.1.0',
        dataPlanes: new Map([
          ['a', child('0.1.0', { synced: false })],
          ['b', child('0.1.0', { rolled: null })],
          ['c', child('0.1.0', { synced: true })],
        ]),
      },
      ['0.1.0', '0.1.0', '0.1.0', '0.1.0'],
      'AsExpected',
      /no version change in progress/,
      [],
    ],
  ])('%s', (_name, o, want, reason, message, events) => {
    const plan = planUpgrade(input(o));
    expect(versions(plan)).toEqual(want);
    expect(plan.progressing.reason).toBe(reason);
    expect(plan.progressing.status).toBe(reason.startsWith('Upgrading') ? 'True' : 'False');
    expect(plan.progressing.message).toMatch(message);
    expect(reasons(plan)).toEqual(events);
  });

  it('first creation: every child at its target at once, nothing to wait for', () => {
    const plan = planUpgrade(
      input({
        controlPlane: undefined,
        dataPlanes: new Map(),
        groups: [{ name: 'a' }, { name: 'b', version: '0.1.3' }],
      }),
    );
    expect(plan.controlPlane).toEqual({ version: '0.2.0' });
    expect([...plan.dataPlanes]).toEqual([
      ['a', { version: '0.2.0' }],
      ['b', { version: '0.1.3' }],
    ]);
    expect(plan.upgrade).toBeUndefined();
    expect(plan.events).toEqual([]);
  });

  it('a group added mid-upgrade starts at the control plane version, not at an older group version', () => {
    const plan = planUpgrade(
      input({
        groups: [...groups, { name: 'd' }],
        controlPlane: child('0.2.0', { rolled: '0.1.0' }),
        previous: { version: '0.2.0', fromVersion: '0.1.0', step: 'controlPlane' },
      }),
    );
    expect(plan.dataPlanes.get('d')).toEqual({ version: '0.2.0' });
    expect(plan.dataPlanes.get('a')).toEqual({ version: '0.1.0' });
  });

  it("a group created while the control plane moves starts at the control plane's new version and image", () => {
    const plan = planUpgrade(
      input({
        version: '0.3.0',
        image: 'reg/hg:dev',
        groups: [{ name: 'a' }],
        dataPlanes: new Map(),
        controlPlane: child('0.2.0', { rolled: null }),
      }),
    );
    // The CP moves to 0.3.0 now (it existed at 0.2.0); the new group is created beside it at 0.3.0.
    expect(plan.dataPlanes.get('a')).toEqual({ version: '0.3.0', image: 'reg/hg:dev' });
  });

  it('an image change alone is a rollout too (version equal, image differs)', () => {
    const plan = planUpgrade(input({ version: '0.1.0', image: 'reg/hg:patched' }));
    expect(plan.controlPlane).toEqual({ version: '0.1.0', image: 'reg/hg:patched' });
    expect(plan.dataPlanes.get('a')).toEqual({ version: '0.1.0' });
    expect(plan.progressing.reason).toBe('UpgradingControlPlane');
  });

  it('a per-group version holds that group back (and is not waited on for the others)', () => {
    const plan = planUpgrade(
      input({
        groups: [{ name: 'a', version: '0.1.0' }, { name: 'b' }, { name: 'c' }],
        controlPlane: child('0.2.0'),
        previous: { version: '0.2.0', fromVersion: '0.1.0', step: 'controlPlane' },
      }),
    );
    expect(versions(plan)).toEqual(['0.2.0', '0.1.0', '0.2.0', '0.1.0']);
    expect(plan.upgrade).toEqual({ version: '0.2.0', fromVersion: '0.1.0', step: 'dataPlane/b' });
  });

  it('a stale workload cache (old generation not yet observed) is never taken for done', () => {
    const cp = child('0.2.0');
    cp.workload!.metadata!.generation = 6;
    const plan = planUpgrade(
      input({ controlPlane: cp, previous: { version: '0.2.0', step: 'controlPlane' } }),
    );
    expect(versions(plan)).toEqual(['0.2.0', '0.1.0', '0.1.0', '0.1.0']);
    expect(plan.progressing.message).toMatch(/waiting for the Deployment controller to see generation 6/);
  });

  it('is a fixed point: re-planning from the state it produced changes nothing and records nothing', () => {
    // Drive a whole upgrade by hand: apply each plan to the "world", roll out what moved, re-plan.
    const world: UpgradeInput = input({});
    const order: string[] = [];
    for (let i = 0; i < 20; i++) {
      const plan = planUpgrade(world);
      const again = planUpgrade(world);
      expect(again).toEqual(plan);
      const cp = world.controlPlane!;
      if (cp.version !== plan.controlPlane.version) order.push('cp');
      world.controlPlane = child(plan.controlPlane.version);
      const dps = new Map<string, ObservedChild>();
      for (const [g, v] of plan.dataPlanes) {
        if (world.dataPlanes.get(g)!.version !== v.version) order.push(g);
        dps.set(g, child(v.version, { synced: true }));
      }
      world.dataPlanes = dps;
      world.previous = plan.upgrade;
      world.previousProgressing = { status: plan.progressing.status, reason: plan.progressing.reason };
      if (!plan.upgrade && plan.progressing.reason === 'UpgradeComplete') break;
    }
    expect(order).toEqual(['cp', 'a', 'b', 'c']);
    const steady = planUpgrade(world);
    expect(steady.events).toEqual([]);
    expect(steady.progressing.reason).toBe('UpgradeComplete');
  });
});
