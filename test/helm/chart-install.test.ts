import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { createLogger } from '../../src/shared/logger.js';
import { createOperator } from '../../src/operator/main.js';
import { REPO_ROOT } from '../envtest/binaries.js';
import { startEnvironment, type TestEnvironment } from '../envtest/environment.js';
import { kubectl } from '../envtest/kubectl.js';
import { pollUntil } from '../envtest/poll.js';
import { CHART_DIR, Helm, parseManifests } from './helm.js';

// helm install / upgrade / uninstall against a real kube-apiserver (test/envtest). The CRDs are not
// pre-installed: helm installs them from the chart's crds/. No kubelet runs, so pods never start;
// instead the operator runs in this process with the token of the ServiceAccount the chart created,
// which proves the chart's RBAC is enough for it.

const NS = 'hybridgate-system';
const RELEASE = 'hg';
const SA = `system:serviceaccount:${NS}:hg-hybridgate`;
const SAMPLE = join(REPO_ROOT, 'config/samples/hybridcluster-shared.yaml');

let env: TestEnvironment;
let helm: Helm;

beforeAll(async () => {
  env = await startEnvironment({ controllerManager: false, installCrds: false });
  helm = await Helm.create(env.kubeconfigPath);
}, 180_000);

afterAll(async () => {
  await helm?.cleanup();
  await env?.stop();
});

/** kubectl as admin; fails the test with kubectl's stderr on a non-zero exit. */
async function k(args: string[], stdin?: string): Promise<string> {
  const r = await kubectl(env, args, stdin === undefined ? {} : { stdin });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

async function getJson<T = Record<string, unknown>>(args: string[]): Promise<T> {
  return JSON.parse(await k([...args, '-o', 'json'])) as T;
}

/** Does the apiserver's RBAC let `user` do `verb` on `resource` (optionally in `ns`)? */
async function canI(user: string, verb: string, resource: string, ns?: string): Promise<boolean> {
  // `resource/sub` is checked as --subresource (kubectl does not parse it from the name).
  const [res, sub] = resource.split('/');
  const r = await kubectl(env, [
    'auth',
    'can-i',
    verb,
    res!,
    ...(sub ? [`--subresource=${sub}`] : []),
    `--as=${user}`,
    ...(ns ? ['-n', ns] : ['-A']),
  ]);
  if (r.stdout.trim() !== 'yes' && r.stdout.trim() !== 'no')
    throw new Error(`can-i: ${r.stdout} ${r.stderr}`);
  return r.stdout.trim() === 'yes';
}

/** Polls until `kubectl get` of the object says NotFound. */
async function gone(args: string[]): Promise<void> {
  await pollUntil(`${args.join(' ')} to be deleted`, async () => {
    const r = await kubectl(env, ['get', ...args]);
    return r.code !== 0 && r.stderr.includes('NotFound') ? true : undefined;
  });
}

/** A kubeconfig with one more context, `sa`, authenticating as a ServiceAccount (a bound token). */
async function serviceAccountKubeconfig(namespace: string, name: string): Promise<string> {
  const token = (await k(['create', 'token', name, '-n', namespace, '--duration=10m'])).trim();
  const kc = parse(await readFile(env.kubeconfigPath, 'utf8')) as { users: unknown[]; contexts: unknown[] };
  kc.users.push({ name: 'sa', user: { token } });
  kc.contexts.push({ name: 'sa', context: { cluster: 'envtest', user: 'sa' } });
  const path = join(env.kubeconfigPath, '..', `${namespace}-${name}.kubeconfig`);
  await writeFile(path, stringify(kc), { mode: 0o600 });
  return path;
}

/**
 * Runs the operator in this process as the ServiceAccount a release created, with the flags the
 * chart's Deployment passes (namespace, leader election in the release namespace), applies the sample
 * the NOTES point to in `sampleNamespace`, and returns the HybridCluster's children once it is reconciled.
 */
async function reconcileSampleAs(
  release: { namespace: string; serviceAccount: string; watchNamespace?: string },
  sampleNamespace: string,
): Promise<string[]> {
  const kubeconfig = await serviceAccountKubeconfig(release.namespace, release.serviceAccount);
  const { manager, client } = createOperator({
    kubeconfig,
    context: 'sa',
    ...(release.watchNamespace ? { namespace: release.watchNamespace } : {}),
    leaderElection: { namespace: release.namespace },
    caPropagationDelayMs: 0,
    logger: createLogger({ component: 'chart-test', level: 'silent' }),
  });
  try {
    await manager.start();
    await k(['apply', '-n', sampleNamespace, '-f', SAMPLE]);
    const children = await pollUntil(
      `the sample HybridCluster in ${sampleNamespace} reconciled`,
      async () => {
        const r = await kubectl(env, [
          'get',
          'controlplanes,dataplanes',
          '-n',
          sampleNamespace,
          '-o',
          'name',
        ]);
        const hc = await getJson<{ status?: { conditions?: unknown[] } }>([
          'get',
          'hybridcluster/demo',
          '-n',
          sampleNamespace,
        ]);
        const names = r.stdout.trim().split('\n').filter(Boolean).sort();
        return names.length >= 2 && (hc.status?.conditions?.length ?? 0) > 0 ? names : undefined;
      },
      { timeoutMs: 20_000 },
    );
    expect(manager.isLeader).toBe(true);
    const lease = await getJson<{ spec: { holderIdentity?: string } }>([
      'get',
      'lease',
      'hybridgate-operator',
      '-n',
      release.namespace,
    ]);
    expect(lease.spec.holderIdentity).toBeTruthy();
    return children;
  } finally {
    await manager.stop();
    await client.close();
  }
}

describe('helm install, upgrade, uninstall (all namespaces)', () => {
  it('install: CRDs from crds/, every object created, NOTES tell the next commands', async () => {
    const r = await helm.run(['install', RELEASE, CHART_DIR, '-n', NS, '--create-namespace']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('STATUS: deployed');
    expect(r.stdout).toContain('kubectl apply -f config/samples/hybridcluster-shared.yaml');
    expect(r.stdout).toContain('kubectl get dataplanes -A');

    for (const crd of ['hybridclusters', 'controlplanes', 'dataplanes']) {
      const got = await getJson<{ status: { conditions: { type: string; status: string }[] } }>([
        'get',
        'crd',
        `${crd}.hybridgate.dev`,
      ]);
      expect(got.status.conditions).toContainEqual(
        expect.objectContaining({ type: 'Established', status: 'True' }),
      );
    }
    const manifest = parseManifests((await helm.run(['get', 'manifest', RELEASE, '-n', NS])).stdout);
    expect(manifest.length).toBe(7);
    for (const o of manifest) {
      // kind.group names the type unambiguously for kubectl (core kinds have no group).
      const group = o.apiVersion.includes('/') ? `.${o.apiVersion.split('/')[0]}` : '';
      const ns = o.metadata.namespace ? ['-n', o.metadata.namespace] : [];
      const live = await getJson<{ metadata: { labels: Record<string, string> } }>([
        'get',
        `${o.kind.toLowerCase()}${group}`,
        o.metadata.name,
        ...ns,
      ]);
      expect(live.metadata.labels).toMatchObject({ 'app.kubernetes.io/instance': RELEASE });
    }
    const d = await getJson<{ spec: { template: { spec: { containers: { image: string }[] } } } }>([
      'get',
      'deployment',
      'hg-hybridgate',
      '-n',
      NS,
    ]);
    expect(d.spec.template.spec.containers[0]!.image).toBe('hybridgate/hybridgate:0.1.0');
  });

  it('RBAC: the ServiceAccount may do what the operator needs, cluster-wide, and nothing more', async () => {
    expect(await canI(SA, 'patch', 'dataplanes.hybridgate.dev')).toBe(true);
    expect(await canI(SA, 'patch', 'hybridclusters.hybridgate.dev/status')).toBe(true);
    expect(await canI(SA, 'watch', 'secrets')).toBe(true);
    expect(await canI(SA, 'update', 'leases.coordination.k8s.io', NS)).toBe(true);
    expect(await canI(SA, 'delete', 'secrets')).toBe(false);
    expect(await canI(SA, 'patch', 'hybridclusters.hybridgate.dev')).toBe(false);
    expect(await canI(SA, 'update', 'leases.coordination.k8s.io', 'default')).toBe(false);
    expect(await canI(SA, 'list', 'pods')).toBe(true);
    expect(await canI(SA, 'delete', 'pods')).toBe(false);
  });

  it('the operator, running as the chart ServiceAccount, reconciles the sample the NOTES point to', async () => {
    await k(['create', 'namespace', 'demo']);
    expect(await reconcileSampleAs({ namespace: NS, serviceAccount: 'hg-hybridgate' }, 'demo')).toEqual([
      'controlplane.hybridgate.dev/demo',
      'dataplane.hybridgate.dev/demo-public',
    ]);
  }, 40_000);

  it('upgrade: a changed value reaches the Deployment', async () => {
    const r = await helm.run(['upgrade', RELEASE, CHART_DIR, '-n', NS], {
      image: { tag: '0.2.0' },
      logLevel: 'debug',
      resources: { requests: { cpu: '200m', memory: '256Mi' }, limits: { memory: '512Mi' } },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('REVISION: 2');
    const d = await getJson<{
      metadata: { generation: number };
      spec: { template: { spec: { containers: { image: string; args: string[]; resources: unknown }[] } } };
    }>(['get', 'deployment', 'hg-hybridgate', '-n', NS]);
    const c = d.spec.template.spec.containers[0]!;
    expect(c.image).toBe('hybridgate/hybridgate:0.2.0');
    expect(c.args).toContain('--log-level=debug');
    expect(c.resources).toEqual({ requests: { cpu: '200m', memory: '256Mi' }, limits: { memory: '512Mi' } });
    expect(d.metadata.generation).toBe(2);
  });

  it('upgrade with a value the schema rejects changes nothing', async () => {
    const r = await helm.run(['upgrade', RELEASE, CHART_DIR, '-n', NS], {
      image: { pullPolicy: 'Sometimes' },
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("at '/image/pullPolicy'");
    const history = await helm.run(['history', RELEASE, '-n', NS, '-o', 'json']);
    expect((JSON.parse(history.stdout) as unknown[]).length).toBe(2);
  });

  it('uninstall: the release objects are removed; CRDs and custom resources stay', async () => {
    const r = await helm.run(['uninstall', RELEASE, '-n', NS, '--wait', '--timeout=30s']);
    expect(r.code).toBe(0);
    await gone(['deployment', 'hg-hybridgate', '-n', NS]);
    await gone(['serviceaccount', 'hg-hybridgate', '-n', NS]);
    await gone(['service', 'hg-hybridgate-metrics', '-n', NS]);
    await gone(['clusterrole', `${NS}-hg-hybridgate`]);
    await gone(['clusterrolebinding', `${NS}-hg-hybridgate`]);
    await gone(['role', 'hg-hybridgate-leader-election', '-n', NS]);
    await gone(['rolebinding', 'hg-hybridgate-leader-election', '-n', NS]);
    // Helm never deletes CRDs (that would delete every user's resources with them).
    expect(await k(['get', 'crd', 'hybridclusters.hybridgate.dev', '-o', 'name'])).toContain(
      'hybridclusters',
    );
    expect(await k(['get', 'hybridcluster/demo', '-n', 'demo', '-o', 'name'])).toContain('demo');
    expect(await canI(SA, 'patch', 'dataplanes.hybridgate.dev')).toBe(false);
  });
});

describe('helm install watching one namespace', () => {
  it('grants a Role in the watched namespace only, the operator works with it, and uninstalls cleanly', async () => {
    await k(['create', 'namespace', 'gateways']);
    const r = await helm.run(['install', 'scoped', CHART_DIR, '-n', 'ops', '--create-namespace'], {
      watchNamespace: 'gateways',
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('kubectl apply -n gateways -f config/samples/hybridcluster-shared.yaml');
    expect(r.stdout).toContain('kubectl get dataplanes -n gateways');
    const user = 'system:serviceaccount:ops:scoped-hybridgate';
    expect(await canI(user, 'patch', 'dataplanes.hybridgate.dev', 'gateways')).toBe(true);
    expect(await canI(user, 'create', 'events', 'gateways')).toBe(true);
    expect(await canI(user, 'patch', 'dataplanes.hybridgate.dev', 'default')).toBe(false);
    expect(await canI(user, 'patch', 'dataplanes.hybridgate.dev')).toBe(false);
    expect(await canI(user, 'update', 'leases.coordination.k8s.io', 'ops')).toBe(true);
    const d = await getJson<{ spec: { template: { spec: { containers: { args: string[] }[] } } } }>([
      'get',
      'deployment',
      'scoped-hybridgate',
      '-n',
      'ops',
    ]);
    expect(d.spec.template.spec.containers[0]!.args).toContain('--namespace=gateways');
    const children = await reconcileSampleAs(
      { namespace: 'ops', serviceAccount: 'scoped-hybridgate', watchNamespace: 'gateways' },
      'gateways',
    );
    expect(children).toEqual(['controlplane.hybridgate.dev/demo', 'dataplane.hybridgate.dev/demo-public']);

    expect((await helm.run(['uninstall', 'scoped', '-n', 'ops', '--wait', '--timeout=30s'])).code).toBe(0);
    await gone(['role', 'scoped-hybridgate', '-n', 'gateways']);
    await gone(['rolebinding', 'scoped-hybridgate', '-n', 'gateways']);
    await gone(['deployment', 'scoped-hybridgate', '-n', 'ops']);
  }, 40_000);
});
