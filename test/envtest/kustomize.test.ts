import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './binaries.js';
import { startEnvironment, type TestEnvironment } from './environment.js';
import { kubectl } from './kubectl.js';

// config/ (kubebuilder layout) rendered by the hack/-built kubectl and applied to a fresh apiserver
// that has nothing installed yet (no CRDs): what `kubectl apply -k config/default` does for a user.
let env: TestEnvironment;

beforeAll(async () => {
  env = await startEnvironment({ controllerManager: false, installCrds: false });
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

const SA = 'system:serviceaccount:hybridgate-system:hybridgate-operator';

describe('config/ kustomize layout', () => {
  it('renders config/default: CRDs identical to crds/, RBAC, the operator Deployment in hybridgate-system', async () => {
    const r = await kubectl(env, ['kustomize', join(REPO_ROOT, 'config/default')]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const docs = parseAllDocuments(r.stdout).map(
      (d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string } },
    );
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual(
      [
        'ClusterRole/hybridgate-operator',
        'ClusterRoleBinding/hybridgate-operator',
        'CustomResourceDefinition/controlplanes.hybridgate.dev',
        'CustomResourceDefinition/dataplanes.hybridgate.dev',
        'CustomResourceDefinition/hybridclusters.hybridgate.dev',
        'Deployment/hybridgate-operator',
        'Namespace/hybridgate-system',
        'Role/hybridgate-operator-leader-election',
        'RoleBinding/hybridgate-operator-leader-election',
        'Service/hybridgate-operator-metrics',
        'ServiceAccount/hybridgate-operator',
      ].sort(),
    );
    for (const file of [
      'hybridgate.dev_hybridclusters.yaml',
      'hybridgate.dev_controlplanes.yaml',
      'hybridgate.dev_dataplanes.yaml',
    ]) {
      const crd = parse(readFileSync(join(REPO_ROOT, 'crds', file), 'utf8')) as {
        metadata: { name: string };
      };
      expect(docs.find((d) => d.metadata.name === crd.metadata.name)).toEqual(crd);
    }
    const dep = docs.find((d) => d.kind === 'Deployment') as unknown as {
      metadata: { namespace: string };
      spec: { template: { spec: { containers: { args: string[] }[] } } };
    };
    expect(dep.metadata.namespace).toBe('hybridgate-system');
    expect(dep.spec.template.spec.containers[0]!.args[0]).toBe('operator');
  });

  it('applies to the apiserver; the samples validate against the CRDs; the operator ServiceAccount gets least privilege', async () => {
    const applied = await kubectl(env, ['apply', '-k', join(REPO_ROOT, 'config/default')]);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    const wait = await kubectl(env, [
      'wait',
      '--for=condition=Established',
      '--timeout=30s',
      'crd/hybridclusters.hybridgate.dev',
      'crd/controlplanes.hybridgate.dev',
      'crd/dataplanes.hybridgate.dev',
    ]);
    expect(wait.code).toBe(0);
    const samples = await kubectl(env, ['apply', '-n', 'default', '-k', join(REPO_ROOT, 'config/samples')]);
    expect(samples).toMatchObject({ code: 0, stderr: '' });
    expect(samples.stdout).toMatch(/hybridcluster.hybridgate.dev\/demo created/);
    expect(samples.stdout).toMatch(/dataplane.hybridgate.dev\/edge-remote created/);
    const again = await kubectl(env, ['apply', '-k', join(REPO_ROOT, 'config/default')]);
    expect(again.stdout.split('\n').filter((l) => l && !l.endsWith('unchanged'))).toEqual([]);
    const can = async (...args: string[]) =>
      (await kubectl(env, ['auth', 'can-i', `--as=${SA}`, ...args])).stdout.trim();
    expect(await can('patch', 'deployments.apps', '-n', 'default')).toBe('yes');
    expect(await can('create', 'leases.coordination.k8s.io', '-n', 'hybridgate-system')).toBe('yes');
    expect(await can('create', 'leases.coordination.k8s.io', '-n', 'default')).toBe('no');
    expect(await can('delete', 'secrets', '-n', 'default')).toBe('no');
  }, 60_000);
});
