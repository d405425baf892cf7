import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './binaries.js';
import { startEnvironment, type TestEnvironment } from './environment.js';
import { kubectl } from './kubectl.js';
import { EventEmitter } from 'node:events';
import { writeFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { request } from 'undici';
import { operatorCommand } from '../../src/cli/commands/operator.js';
import type { CliContext } from '../../src/cli/cli-context.js';
import { renderKubeconfig } from './kubeconfig.js';
import { pollUntil } from './poll.js';

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

describe('hybridgate operator, deployed as config/default says', () => {
  // Runs after the apply above (same file, in order): the CRDs and RBAC are installed.
  it('runs from the CLI as the ServiceAccount of config/rbac, with leader election, and reconciles', async () => {
    const token = await kubectl(env, ['create', 'token', 'hybridgate-operator', '-n', 'hybridgate-system']);
    expect(token.code).toBe(0);
    const ca = (env.kubeConfig('admin').getCurrentCluster()!.caData ?? '') as string;
    const kubeconfig = join(env.kubeconfigPath, '..', 'sa-kubeconfig');
    writeFileSync(
      kubeconfig,
      renderKubeconfig(env.server, Buffer.from(ca, 'base64').toString(), [
        { name: 'sa', token: token.stdout.trim() },
      ]),
      { mode: 0o600 },
    );
    const stderr = new PassThrough();
    let logs = '';
    stderr.on('data', (c: Buffer) => (logs += c.toString()));
    const signals = new EventEmitter();
    const ctx = {
      cwd: REPO_ROOT,
      env: { POD_NAMESPACE: 'hybridgate-system' },
      stdout: new PassThrough(),
      stderr,
      out: () => {},
      err: (l: string) => void stderr.write(`${l}\n`),
      signals,
      startNode: () => Promise.reject(new Error('unused')),
    } as unknown as CliContext;
    const program = new Command('hybridgate').exitOverride().addCommand(operatorCommand(ctx));
    const running = program.parseAsync([
      'node',
      'hybridgate',
      'operator',
      `--kubeconfig=${kubeconfig}`,
      '--health-address=127.0.0.1:0',
    ]);
    let failed: unknown;
    running.catch((err: unknown) => (failed = err));
    try {
      const port = await pollUntil('operator started (health port logged)', () => {
        if (failed) throw failed;
        return /"healthPort":(\d+).*"msg":"operator started"/.exec(logs)?.[1];
      });
      const readyz = await request(`http://127.0.0.1:${port}/readyz`);
      expect(readyz.statusCode).toBe(200);
      await readyz.body.text();
      const lease = await pollUntil('Lease held in hybridgate-system', async () => {
        const r = await kubectl(env, [
          'get',
          'lease',
          'hybridgate-operator',
          '-n',
          'hybridgate-system',
          '-o',
          'jsonpath={.spec.holderIdentity}',
        ]);
        return r.stdout || undefined;
      });
      expect(lease).toMatch(/_/);
      await pollUntil('ControlPlane of the sample cluster demo', async () =>
        (await kubectl(env, ['get', '-n', 'default', 'controlplane/demo'])).code === 0 ? true : undefined,
      );
      await pollUntil('its StatefulSet', async () =>
        (await kubectl(env, ['get', '-n', 'default', 'statefulset/demo'])).code === 0 ? true : undefined,
      );
    } finally {
      signals.emit('SIGTERM');
      await running.catch(() => undefined);
    }
    expect(failed).toBeUndefined();
    expect(logs).toContain('"msg":"operator stopping"');
    // Stopping released the Lease.
    const after = await kubectl(env, [
      'get',
      'lease',
      'hybridgate-operator',
      '-n',
      'hybridgate-system',
      '-o',
      'jsonpath={.spec.holderIdentity}',
    ]);
    expect(after.stdout).toBe('');
  }, 60_000);
});
