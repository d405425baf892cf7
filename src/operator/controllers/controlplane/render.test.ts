import { describe, it, expect } from '@jest/globals';
import { join } from 'node:path';
import type { ControlPlane } from '../../../api/v1alpha1/index.js';
import { compareGolden, goldenCases } from '../golden.js';
import { NAMESPACE_NAME_LABEL, parsePodLabels } from './network-policy.js';
import { renderControlPlane } from './render.js';

const cases = goldenCases(join(import.meta.dirname, 'testdata'));
const base = cases.find((c) => c.name === 'shared-lmdb')!.docs[0] as unknown as ControlPlane;

// The operator's pods as the chart labels them (what the NetworkPolicy admits to the Admin API).
const operator = {
  namespace: 'hybridgate-system',
  podLabels: { 'app.kubernetes.io/name': 'hybridgate', 'app.kubernetes.io/component': 'operator' },
};

describe('renderControlPlane (golden files)', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const [actual, expected] = compareGolden(
      c,
      renderControlPlane(c.docs[0] as unknown as ControlPlane, { operator }),
    );
    expect(actual).toBe(expected);
  });
});

describe('the admin NetworkPolicy', () => {
  type Policy = {
    kind: string;
    spec: { ingress: { from?: Record<string, unknown>[]; ports: { port: number }[] }[] };
  };
  const policyOf = (objs: unknown[]) => objs.find((o) => (o as Policy).kind === 'NetworkPolicy') as Policy;

  it('admits the operator by namespace and pod labels, and admin-access pods, to 8444 only', () => {
    const [admin, open] = policyOf(renderControlPlane(base, { operator })).spec.ingress;
    expect(admin!.ports.map((p) => p.port)).toEqual([8444]);
    expect(admin!.from).toContainEqual({
      namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: 'hybridgate-system' } },
      podSelector: { matchLabels: operator.podLabels },
    });
    expect(open!.from).toBeUndefined();
    expect(open!.ports.map((p) => p.port)).toEqual([8005, 8006, 8100]);
  });

  it('without a known operator, only admin-access pods of the namespace reach the Admin API', () => {
    const [admin] = policyOf(renderControlPlane(base)).spec.ingress;
    expect(admin!.from).toEqual([
      { podSelector: { matchLabels: { 'hybridgate.dev/admin-access': 'true' } } },
    ]);
  });

  it('parses operator pod labels, refusing entries that are not key=value', () => {
    expect(parsePodLabels('a=b, c=d', 'x')).toEqual({ a: 'b', c: 'd' });
    expect(() => parsePodLabels('a=b,oops', 'HYBRIDGATE_OPERATOR_POD_LABELS')).toThrow(
      /HYBRIDGATE_OPERATOR_POD_LABELS: "oops" is not a label \(expected key=value/,
    );
    expect(() => parsePodLabels(' , ', 'x')).toThrow(/no label/);
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
