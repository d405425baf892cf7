import { describe, it, expect } from '@jest/globals';
import { join } from 'node:path';
import type { ControlPlane, DataPlane } from '../../../api/v1alpha1/index.js';
import { compareGolden, goldenCases } from '../golden.js';
import { renderDataPlane, resolveControlPlaneTarget } from './render.js';

const cases = goldenCases(join(import.meta.dirname, 'testdata'));

describe('renderDataPlane (golden files)', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const [dp, cp] = c.docs as unknown as [DataPlane, ControlPlane | undefined];
    const [actual, expected] = compareGolden(c, renderDataPlane(dp, resolveControlPlaneTarget(dp, cp)));
    expect(actual).toBe(expected);
  });
});

describe('resolveControlPlaneTarget', () => {
  const [dp] = cases.find((c) => c.name === 'shared')!.docs as unknown as [DataPlane];

  it('fails with a typed error naming the missing ControlPlane', () => {
    expect(() => resolveControlPlaneTarget(dp, undefined)).toThrow(
      expect.objectContaining({
        code: 'CONTROL_PLANE_NOT_FOUND',
        message: expect.stringContaining('"edge"'),
      }),
    );
  });

  it('refuses labels that cannot be written as cluster_dp_labels', () => {
    const [, cp] = cases.find((c) => c.name === 'shared')!.docs as unknown as [DataPlane, ControlPlane];
    const bad = { ...dp, spec: { ...dp.spec, labels: { 'a:b': 'x' } } };
    expect(() => renderDataPlane(bad, resolveControlPlaneTarget(bad, cp))).toThrow(/cluster_dp_labels/);
  });
});
