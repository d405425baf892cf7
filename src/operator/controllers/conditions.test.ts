import { describe, it, expect } from '@jest/globals';
import { setConditions, workloadReady } from './conditions.js';

const T1 = Date.UTC(2026, 0, 1);
const T2 = T1 + 60_000;

describe('setConditions', () => {
  it('keeps lastTransitionTime while the status holds, moves it when the status flips', () => {
    const first = setConditions(undefined, [workloadReady(2, 0)], 1, T1);
    expect(first).toEqual([
      {
        type: 'Ready',
        status: 'False',
        observedGeneration: 1,
        lastTransitionTime: '2026-01-01T00:00:00Z',
        reason: 'Unavailable',
        message: '0/2 pods ready',
      },
    ]);
    const same = setConditions(first, [workloadReady(2, 1)], 1, T2);
    expect(same[0]!.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
    expect(same[0]!.message).toBe('1/2 pods ready');
    const flipped = setConditions(same, [workloadReady(2, 2)], 1, T2);
    expect(flipped[0]).toMatchObject({
      status: 'True',
      reason: 'Available',
      lastTransitionTime: '2026-01-01T00:01:00Z',
    });
  });

  it('a steady input gives an equal list (so no status write)', () => {
    const a = setConditions(undefined, [workloadReady(1, 1)], 3, T1);
    expect(setConditions(a, [workloadReady(1, 1)], 3, T2)).toEqual(a);
  });

  it('reports 0 replicas as not ready with the reason', () => {
    expect(workloadReady(0, 0)).toMatchObject({ status: 'False', message: 'scaled to 0 replicas' });
  });
});
