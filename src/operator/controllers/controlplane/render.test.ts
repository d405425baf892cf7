import { describe, it, expect } from '@jest/globals';
import { join } from 'node:path';
import type { ControlPlane } from '../../../api/v1alpha1/index.js';
import { compareGolden, goldenCases } from '../golden.js';
import { renderControlPlane } from './render.js';

const cases = goldenCases(join(import.meta.dirname, 'testdata'));
const base = cases.find((c) => c.name === 'shared-lmdb')!.docs[0] as unknown as ControlPlane;

describe('renderControlPlane (golden files)', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const [actual, expected] = compareGolden(c, renderControlPlane(c.docs[0] as unknown as ControlPlane));
    expect(actual).toBe(expected);
  });
});

describe('renderControlPlane rules', () => {
  it('refuses conf keys the operator manages, naming the key', () => {
    const cp = { ...base, spec: { ...base.spec, conf: { cluster_cert: '/x' } } };
    expect(() => renderControlPlane(cp)).toThrow(/spec.conf: "cluster_cert" is set by the operator/);
  });

  it('refuses postgres without a Secret', () => {
    const cp = { ...base, spec: { ...base.spec, database: { type: 'postgres' as const, storage: '1Gi' } } };
    expect(() => renderControlPlane(cp)).toThrow(/postgres needs database.secretRef.name/);
  });

  it('changes the pod template when conf changes, not when only certificates do', () => {
    const template = (cp: ControlPlane) =>
      JSON.stringify((renderControlPlane(cp)[3] as { spec: { template: unknown } }).spec.template);
    const a = template(base);
    expect(template({ ...base, spec: { ...base.spec, conf: { log_level: 'info' } } })).not.toBe(a);
    // Renewal/rotation parameters are the certificates module's business; the pod template ignores them.
    expect(
      template({
        ...base,
        spec: { ...base.spec, certificates: { ...base.spec.certificates, duration: '100h' } },
      }),
    ).toBe(a);
  });
});
