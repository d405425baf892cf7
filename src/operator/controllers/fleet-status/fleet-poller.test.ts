import { describe, expect, it } from '@jest/globals';
import type { KubeClient } from '../../kube/kube-client.js';
import { createLogger } from '../../../shared/logger.js';
import { FleetPoller, type TickResult } from './fleet-poller.js';
import { controlPlaneOfDataPlane } from './fleet-status-reconciler.js';

const poller = () =>
  new FleetPoller({
    client: {} as KubeClient,
    namespace: 'ns',
    name: 'cp',
    adminFor: () => {
      throw new Error('not called');
    },
    intervals: { fastMs: 2000, slowMs: 30_000 },
    now: () => 0,
    log: createLogger({ component: 'test', level: 'silent' }),
  });
const tick = (over: Partial<TickResult>): TickResult => ({
  gone: false,
  reachable: true,
  writes: 0,
  forgotten: [],
  busy: false,
  ...over,
});

describe('FleetPoller.nextDelay', () => {
  it('fast while converging, slow when steady', () => {
    const p = poller();
    expect(p.nextDelay(tick({ busy: true }))).toBe(2000);
    expect(p.nextDelay(tick({ busy: false }))).toBe(30_000);
  });

  it('backs off from fast to slow while the CP is unreachable, and resets once it answers', () => {
    const p = poller();
    const down = tick({ reachable: false });
    expect([1, 2, 3, 4, 5].map(() => p.nextDelay(down))).toEqual([2000, 4000, 8000, 16_000, 30_000]);
    expect(p.nextDelay(tick({ busy: true }))).toBe(2000);
    expect(p.nextDelay(down)).toBe(2000);
  });
});

describe('controlPlaneOfDataPlane', () => {
  it('maps a DataPlane to its ControlPlane key; an external one to nothing', () => {
    const dp = (spec: Record<string, unknown>) => ({ metadata: { namespace: 'ns', name: 'edge' }, spec });
    expect(controlPlaneOfDataPlane(dp({ controlPlaneRef: { name: 'cp' } }))).toEqual(['ns/cp']);
    expect(controlPlaneOfDataPlane(dp({ externalControlPlane: { endpoint: 'x:8005' } }))).toEqual([]);
  });
});
