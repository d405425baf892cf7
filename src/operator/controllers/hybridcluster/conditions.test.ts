import { describe, it, expect } from '@jest/globals';
import type { Condition } from '../../../api/meta.js';
import type { ControlPlane, DataPlane, HybridCluster } from '../../../api/v1alpha1/index.js';
import { hybridClusterStatus } from './conditions.js';

const at = '2026-01-01T00:00:00Z';
const c = (type: string, status: string, message = `${type} ${status}`, reason = 'R'): Condition => ({
  type,
  status: status as Condition['status'],
  reason,
  message,
  lastTransitionTime: at,
});
const hc = {
  metadata: { name: 'edge', namespace: 'gw', generation: 3 },
  spec: { version: '0.2.0', dataPlanes: [{ name: 'a' }, { name: 'b' }] },
} as unknown as HybridCluster;
const cp = {
  metadata: { name: 'edge' },
  spec: { version: '0.2.0' },
  status: { configHash: 'abc', conditions: [c('Ready', 'True')] },
} as unknown as ControlPlane;
const dp = (name: string, conditions: Condition[], counts?: { synced: number; total: number }) =>
  ({
    metadata: { name: `edge-${name}` },
    spec: { version: '0.1.0', replicas: 2 },
    status: {
      readyReplicas: 2,
      conditions: [c('Ready', 'True'), ...conditions],
      ...(counts ? { counts } : {}),
    },
  }) as unknown as DataPlane;
const status = (a: DataPlane, b: DataPlane) =>
  hybridClusterStatus(hc, {
    controlPlane: cp,
    dataPlanes: new Map([
      ['a', a],
      ['b', b],
    ]),
    now: Date.parse(at),
  }) as {
    conditions: Condition[];
    dataPlanes: unknown[];
    syncedSummary?: string;
    controlPlane: unknown;
  };
const cond = (s: { conditions: Condition[] }, type: string) => s.conditions.find((x) => x.type === type);

describe('hybridClusterStatus roll-up', () => {
  it('Synced and Compatible True only when every group says so; rows and summary from the children', () => {
    const s = status(
      dp('a', [c('Synced', 'True'), c('Compatible', 'True')], { synced: 2, total: 2 }),
      dp('b', [c('Synced', 'True'), c('Compatible', 'True')], { synced: 1, total: 1 }),
    );
    expect(cond(s, 'Synced')).toMatchObject({ status: 'True', reason: 'AllSynced' });
    expect(cond(s, 'Compatible')).toMatchObject({ status: 'True', reason: 'AllCompatible' });
    expect(cond(s, 'Ready')).toMatchObject({ status: 'True' });
    expect(s.syncedSummary).toBe('3/3');
    expect(s.controlPlane).toEqual({ name: 'edge', ready: true, configHash: 'abc', version: '0.2.0' });
    expect(s.dataPlanes[0]).toEqual({
      group: 'a',
      name: 'edge-a',
      version: '0.1.0',
      replicas: 2,
      readyReplicas: 2,
      syncedNodes: 2,
      totalNodes: 2,
      ready: true,
      synced: true,
    });
  });

  it('one group out of sync or incompatible makes the cluster condition False, naming the group', () => {
    const s = status(
      dp('a', [c('Synced', 'True'), c('Compatible', 'True')], { synced: 2, total: 2 }),
      dp(
        'b',
        [c('Synced', 'False', '0/1 synced'), c('Compatible', 'False', 'node n1: plugin_set_incompatible')],
        {
          synced: 0,
          total: 1,
        },
      ),
    );
    expect(cond(s, 'Synced')).toMatchObject({
      status: 'False',
      reason: 'OutOfSync',
      message: 'out of sync: group b (0/1 synced)',
    });
    expect(cond(s, 'Compatible')).toMatchObject({
      status: 'False',
      reason: 'Incompatible',
      message: 'incompatible: group b (node n1: plugin_set_incompatible)',
    });
    expect(s.syncedSummary).toBe('2/3');
  });

  it('an unreachable control plane (Unknown on a group) stays Unknown with its reason, never False', () => {
    const s = status(
      dp('a', [c('Synced', 'Unknown', 'cp down', 'ControlPlaneUnreachable')]),
      dp('b', [c('Synced', 'True')]),
    );
    expect(cond(s, 'Synced')).toMatchObject({
      status: 'Unknown',
      reason: 'ControlPlaneUnreachable',
      message: 'group a: cp down',
    });
  });

  it('without fleet status Synced and Compatible are Unknown and say so; no synced summary', () => {
    const s = status(dp('a', []), dp('b', []));
    expect(cond(s, 'Synced')).toMatchObject({ status: 'Unknown', reason: 'FleetStatusUnavailable' });
    expect(cond(s, 'Synced')!.message).toMatch(
      /^Synced is not reported for group\(s\) a, b \(fleet status is off/,
    );
    expect(cond(s, 'Compatible')).toMatchObject({ status: 'Unknown', reason: 'FleetStatusUnavailable' });
    expect(s.syncedSummary).toBeUndefined();
  });
});
