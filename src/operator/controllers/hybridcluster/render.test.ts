import { describe, it, expect } from '@jest/globals';
import { join } from 'node:path';
import type { DataPlane, HybridCluster } from '../../../api/v1alpha1/index.js';
import { compareGolden, goldenCases } from '../golden.js';
import { renderHybridCluster } from './render.js';

const cases = goldenCases(join(import.meta.dirname, 'testdata'));

describe('renderHybridCluster (golden files)', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const [cluster, ...existing] = c.docs as unknown as [HybridCluster, ...DataPlane[]];
    const out = renderHybridCluster({
      cluster,
      existingDataPlanes: new Map(existing.map((d) => [d.metadata.name!, d])),
    });
    const [actual, expected] = compareGolden(c, [out.controlPlane, ...out.dataPlanes]);
    expect(actual).toBe(expected);
  });

  it('sets replicas from the group unless an autoscaler owns them', () => {
    const cluster = cases.find((c) => c.name === 'pki-postgres-hpa')!.docs[0] as unknown as HybridCluster;
    const plain = renderHybridCluster({ cluster });
    expect(plain.dataPlanes[0]!.spec.replicas).toBe(2);
    const scaled = renderHybridCluster({
      cluster,
      existingDataPlanes: new Map([
        ['edge-public', { metadata: { annotations: { 'hybridgate.dev/replicas-owner': 'autoscaler' } } }],
      ]),
    });
    expect(scaled.dataPlanes[0]!.spec).not.toHaveProperty('replicas');
  });

  it('refuses an owner without a uid (not yet created)', () => {
    const cluster = cases[0]!.docs[0] as unknown as HybridCluster;
    expect(() =>
      renderHybridCluster({ cluster: { ...cluster, metadata: { name: 'x', namespace: 'y' } } }),
    ).toThrow(/has no uid/);
  });
});
