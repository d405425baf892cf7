import { describe, it, expect, beforeAll, afterAll, afterEach } from '@jest/globals';
import { stringify } from 'yaml';
import type { KubeClient } from '../../src/operator/kube/kube-client.js';
import type { KubeObject } from '../../src/api/meta.js';
import type { TestEnvironment } from './environment.js';
import { kubectl } from './kubectl.js';
import { pollUntil } from './poll.js';
import {
  createNamespace,
  reconcileCount,
  resourceVersions,
  startOperator,
  waitForReconciles,
  type RunningOperator,
} from './operator-harness.js';
import { listEvents } from './support/events.js';
import { startOperatorSuite, stopOperatorSuite } from './support/operator-suite.js';

// One environment (with kube-controller-manager: ReplicaSets, garbage collection) for the file; each
// test has its own namespace and its own operator, running as the non-admin identity with config/rbac.
let env: TestEnvironment;
let admin: KubeClient;
const operators: RunningOperator[] = [];

beforeAll(async () => {
  ({ env, admin } = await startOperatorSuite());
}, 180_000);

afterEach(async () => {
  await Promise.all(operators.splice(0).map((o) => o.stop()));
});

afterAll(() => stopOperatorSuite(env, admin));

const namespace = () => createNamespace(admin, 'op');

async function operator(ns: string): Promise<RunningOperator> {
  const op = await startOperator(env, ns);
  operators.push(op);
  return op;
}

const get = <T = KubeObject>(path: string) => admin.request<T>({ method: 'GET', path });
const exists = (path: string) =>
  get(path).then(
    () => true,
    () => undefined,
  );
const gone = (path: string) =>
  get(path).then(
    () => undefined,
    (e: { statusCode?: number }) => (e.statusCode === 404 ? true : undefined),
  );

const sharedCluster = (name = 'edge') => ({
  apiVersion: 'hybridgate.dev/v1alpha1',
  kind: 'HybridCluster',
  metadata: { name },
  spec: {
    version: '0.1.0',
    certificates: { mode: 'shared' },
    controlPlane: { replicas: 1, database: { type: 'lmdb' } },
    dataPlanes: [
      { name: 'public', replicas: 2, labels: { region: 'eu-west-1' }, service: { type: 'ClusterIP' } },
      { name: 'internal', replicas: 1, service: { type: 'ClusterIP' } },
    ],
  },
});

const apply = (ns: string, obj: object) =>
  kubectl(env, ['apply', '-n', ns, '-f', '-'], { stdin: stringify(obj) });

const paths = (ns: string) => ({
  hc: `/apis/hybridgate.dev/v1alpha1/namespaces/${ns}/hybridclusters/edge`,
  cp: `/apis/hybridgate.dev/v1alpha1/namespaces/${ns}/controlplanes/edge`,
  dp: (g: string) => `/apis/hybridgate.dev/v1alpha1/namespaces/${ns}/dataplanes/edge-${g}`,
  sts: `/apis/apps/v1/namespaces/${ns}/statefulsets/edge`,
  deploy: (g: string) => `/apis/apps/v1/namespaces/${ns}/deployments/edge-${g}`,
  svc: (n: string) => `/api/v1/namespaces/${ns}/services/${n}`,
  sa: (n: string) => `/api/v1/namespaces/${ns}/serviceaccounts/${n}`,
  pdb: (g: string) => `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets/edge-${g}`,
  secret: (n: string) => `/api/v1/namespaces/${ns}/secrets/${n}`,
});

/** Every object a shared cluster `edge` with groups public and internal makes. */
function everyObject(ns: string): string[] {
  const p = paths(ns);
  return [
    p.cp,
    p.dp('public'),
    p.dp('internal'),
    p.sts,
    p.svc('edge-admin'),
    p.svc('edge-cluster'),
    p.sa('edge'),
    p.secret('edge-cluster-cert'),
    ...['public', 'internal'].flatMap((g) => [
      p.deploy(g),
      p.svc(`edge-${g}-proxy`),
      p.sa(`edge-${g}`),
      p.pdb(g),
    ]),
  ];
}

async function converged(ns: string): Promise<void> {
  for (const path of everyObject(ns))
    await pollUntil(`${path} exists`, () => exists(path), { timeoutMs: 20_000 });
  await pollUntil('cluster status written', async () => {
    const hc = await get<{ status?: { dataPlanesSummary?: string; conditions?: { type: string }[] } }>(
      paths(ns).hc,
    );
    return hc.status?.dataPlanesSummary === '0/2' &&
      hc.status.conditions?.some((c) => c.type === 'CertificatesReady')
      ? true
      : undefined;
  });
}

describe('operator: a shared-mode HybridCluster', () => {
  it('creates every object; Deployments get ReplicaSets; pods are restricted and configured by env', async () => {
    const ns = await namespace();
    await operator(ns);
    expect(await apply(ns, sharedCluster())).toMatchObject({ code: 0 });
    await converged(ns);
    const p = paths(ns);
    await pollUntil('ReplicaSet of edge-public (kube-controller-manager)', async () => {
      const rs = await get<{ items: KubeObject[] }>(`/apis/apps/v1/namespaces/${ns}/replicasets`);
      return rs.items.some((r) => r.metadata?.ownerReferences?.[0]?.name === 'edge-public')
        ? true
        : undefined;
    });
    const dep = await get<{
      spec: {
        replicas: number;
        template: {
          spec: Record<string, unknown> & { containers: { env: { name: string; value?: string }[] }[] };
        };
      };
    }>(p.deploy('public'));
    expect(dep.spec.replicas).toBe(2);
    const env_ = Object.fromEntries(dep.spec.template.spec.containers[0]!.env.map((e) => [e.name, e.value]));
    expect(env_).toMatchObject({
      HYBRIDGATE_ROLE: 'data_plane',
      HYBRIDGATE_CLUSTER_CONTROL_PLANE: `edge-cluster.${ns}.svc:8005`,
      HYBRIDGATE_CLUSTER_DP_LABELS: 'hybridgate.dev.dataplane:edge-public,region:eu-west-1',
      HYBRIDGATE_CLUSTER_MTLS: 'shared',
    });
    expect(dep.spec.template.spec).toMatchObject({
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 65532 },
    });
    const sts = await get<{
      spec: { volumeClaimTemplates: { spec: { resources: { requests: { storage: string } } } }[] };
    }>(p.sts);
    expect(sts.spec.volumeClaimTemplates[0]!.spec.resources.requests.storage).toBe('1Gi');
    const cpSvc = await get<{ spec: { ports: { port: number }[] } }>(p.svc('edge-cluster'));
    expect(cpSvc.spec.ports.map((x) => x.port)).toEqual([8005, 8006]);
    // CertificatesReady on the ControlPlane; Ready False (no pod ever runs here) with the reason.
    const cp = await get<{
      status: {
        conditions: { type: string; status: string; reason: string }[];
        certificates: { secretName: string };
      };
    }>(p.cp);
    expect(cp.status.certificates.secretName).toBe('edge-cluster-cert');
    expect(cp.status.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'CertificatesReady', status: 'True' }),
        expect.objectContaining({ type: 'Ready', status: 'False', reason: 'Unavailable' }),
      ]),
    );
    const events = await listEvents(admin, ns);
    expect(events.map((e) => e.reason)).toEqual(expect.arrayContaining(['Created', 'CertificateIssued']));

    const table = await kubectl(env, ['get', '-n', ns, 'hybridclusters,controlplanes,dataplanes']);
    expect(table.stdout).toMatch(/NAME\s+MODE\s+VERSION\s+READY\s+DATAPLANES\s+SYNCED\s+AGE/);
    expect(table.stdout).toMatch(/hybridcluster.hybridgate.dev\/edge\s+shared\s+0.1.0\s+False\s+0\/2/);
    expect(table.stdout).toMatch(/NAME\s+READY\s+DATABASE\s+DATAPLANES\s+AGE/);
    expect(table.stdout).toMatch(/controlplane.hybridgate.dev\/edge\s+False\s+lmdb/);
    expect(table.stdout).toMatch(/NAME\s+READY\s+DESIRED\s+SYNCED\s+VERSION\s+CONFIG HASH\s+AGE/);
    expect(table.stdout).toMatch(/dataplane.hybridgate.dev\/edge-public\s+0\s+2\s+0\.1\.0/);
  }, 60_000);

  it('is idempotent: a second reconcile writes nothing; applying the manifest twice changes nothing', async () => {
    const ns = await namespace();
    const op = await operator(ns);
    await apply(ns, sharedCluster());
    await converged(ns);
    const lists = [
      `/apis/hybridgate.dev/v1alpha1/namespaces/${ns}/controlplanes`,
      `/apis/hybridgate.dev/v1alpha1/namespaces/${ns}/dataplanes`,
      `/apis/apps/v1/namespaces/${ns}/deployments`,
      `/apis/apps/v1/namespaces/${ns}/statefulsets`,
      `/api/v1/namespaces/${ns}/services`,
      `/api/v1/namespaces/${ns}/secrets`,
      `/api/v1/namespaces/${ns}/serviceaccounts`,
      `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets`,
    ];
    // Let the churn of first creation (ReplicaSets, status) settle: no change across a full pass.
    let before = await resourceVersions(admin, lists);
    await pollUntil(
      'steady state',
      async () => {
        const now = await resourceVersions(admin, lists);
        const same = JSON.stringify(now) === JSON.stringify(before);
        before = now;
        return same ? true : undefined;
      },
      { intervalMs: 1500 },
    );
    const hcRv = (await get<KubeObject>(paths(ns).hc)).metadata!.resourceVersion;
    // Re-applying the same manifest is a no-op for the apiserver (no new resourceVersion). kubectl's
    // client-side apply may still print "configured": for custom resources it sends a merge patch that
    // replaces lists holding server defaults, which the server re-defaults to the same object.
    const again = await apply(ns, sharedCluster());
    expect(again.code).toBe(0);
    expect((await get<KubeObject>(paths(ns).hc)).metadata!.resourceVersion).toBe(hcRv);
    // Force reconciles of every controller: annotate the ControlPlane and DataPlanes (no spec change).
    const counts = await Promise.all(
      ['hybridcluster', 'controlplane', 'dataplane'].map((c) => reconcileCount(op.manager, c)),
    );
    for (const r of [
      'controlplane/edge',
      'dataplane/edge-public',
      'dataplane/edge-internal',
      'hybridcluster/edge',
    ]) {
      expect((await kubectl(env, ['annotate', '-n', ns, r, 'test/poke=1'])).code).toBe(0);
    }
    await pollUntil('every controller reconciled again', async () => {
      const now = await Promise.all(
        ['hybridcluster', 'controlplane', 'dataplane'].map((c) => reconcileCount(op.manager, c)),
      );
      return now.every((n, i) => n > counts[i]!) ? true : undefined;
    });
    const after = await resourceVersions(admin, lists);
    // The annotations themselves changed the ControlPlane and DataPlanes; nothing else was written.
    const changed = Object.keys(after).filter((k) => after[k] !== before[k]);
    expect(changed.sort()).toEqual([
      'controlplanes/edge',
      'dataplanes/edge-internal',
      'dataplanes/edge-public',
    ]);
  }, 90_000);

  it('repairs drift: a deleted Deployment comes back, an edited one is restored', async () => {
    const ns = await namespace();
    await operator(ns);
    await apply(ns, sharedCluster());
    await converged(ns);
    const p = paths(ns);
    const uid = (await get<KubeObject>(p.deploy('public'))).metadata!.uid;
    expect((await kubectl(env, ['delete', '-n', ns, 'deployment/edge-public', '--wait=false'])).code).toBe(0);
    await pollUntil('Deployment recreated', async () => {
      const d = await get<KubeObject>(p.deploy('public')).catch(() => undefined);
      return d && d.metadata!.uid !== uid ? true : undefined;
    });
    const patch = await kubectl(env, [
      'set',
      'image',
      '-n',
      ns,
      'deployment/edge-internal',
      'hybridgate=evil/image:1',
    ]);
    expect(patch.code).toBe(0);
    await pollUntil('image restored', async () => {
      const d = await get<{ spec: { template: { spec: { containers: { image: string }[] } } } }>(
        p.deploy('internal'),
      );
      return d.spec.template.spec.containers[0]!.image === 'hybridgate/hybridgate:0.1.0' ? true : undefined;
    });
    // A deleted Service and a deleted certificate Secret come back too.
    await kubectl(env, ['delete', '-n', ns, 'service/edge-admin', 'secret/edge-cluster-cert']);
    await pollUntil('Service back', () => exists(p.svc('edge-admin')));
    await pollUntil('Secret back', () => exists(p.secret('edge-cluster-cert')));
  }, 60_000);

  it('leaves replicas to an autoscaler: scale subresource on the DataPlane, or the Deployment directly', async () => {
    const ns = await namespace();
    const op = await operator(ns);
    await apply(ns, sharedCluster());
    await converged(ns);
    const p = paths(ns);
    // An HPA on the DataPlane: annotate, then scale the DataPlane (as the HPA controller would).
    await kubectl(env, [
      'annotate',
      '-n',
      ns,
      'dataplane/edge-public',
      'hybridgate.dev/replicas-owner=autoscaler',
    ]);
    expect((await kubectl(env, ['scale', '-n', ns, 'dataplane/edge-public', '--replicas=5'])).code).toBe(0);
    await pollUntil('Deployment follows the DataPlane', async () => {
      const d = await get<{ spec: { replicas: number } }>(p.deploy('public'));
      return d.spec.replicas === 5 ? true : undefined;
    });
    // An HPA on the Deployment itself: the DataPlane stops setting replicas.
    await kubectl(env, [
      'annotate',
      '-n',
      ns,
      'dataplane/edge-internal',
      'hybridgate.dev/replicas-owner=deployment',
    ]);
    await waitForReconciles(op.manager, 'dataplane', 1);
    await admin.request({
      method: 'PATCH',
      path: `${p.deploy('internal')}/scale`,
      body: { spec: { replicas: 4 } },
      contentType: 'application/merge-patch+json',
      query: { fieldManager: 'horizontal-pod-autoscaler' },
    });
    // The cluster spec still says 2 and 1; trigger reconciles of everything and check nothing reverts.
    const counts = await Promise.all(
      ['hybridcluster', 'dataplane'].map((c) => reconcileCount(op.manager, c)),
    );
    await kubectl(env, ['annotate', '-n', ns, 'hybridcluster/edge', 'test/poke=1']);
    await kubectl(env, ['annotate', '-n', ns, 'dataplane/edge-internal', 'test/poke=1']);
    await pollUntil('reconciled', async () => {
      const now = await Promise.all(['hybridcluster', 'dataplane'].map((c) => reconcileCount(op.manager, c)));
      return now.every((x, i) => x > counts[i]!) ? true : undefined;
    });
    expect((await get<{ spec: { replicas: number } }>(p.dp('public'))).spec.replicas).toBe(5);
    expect((await get<{ spec: { replicas: number } }>(p.deploy('public'))).spec.replicas).toBe(5);
    expect((await get<{ spec: { replicas: number } }>(p.deploy('internal'))).spec.replicas).toBe(4);
  }, 60_000);

  it('removes a DataPlane whose group is dropped, and garbage-collects everything when the cluster is deleted', async () => {
    const ns = await namespace();
    await operator(ns);
    await apply(ns, sharedCluster());
    await converged(ns);
    const p = paths(ns);
    const one = sharedCluster();
    one.spec.dataPlanes = one.spec.dataPlanes.slice(0, 1);
    await apply(ns, one);
    await pollUntil('DataPlane edge-internal deleted', () => gone(p.dp('internal')));
    await pollUntil('its Deployment garbage-collected', () => gone(p.deploy('internal')), {
      timeoutMs: 30_000,
    });
    expect((await kubectl(env, ['delete', '-n', ns, 'hybridcluster/edge', '--wait=false'])).code).toBe(0);
    for (const path of everyObject(ns).filter((x) => !x.includes('internal'))) {
      await pollUntil(`${path} garbage-collected`, () => gone(path), { timeoutMs: 30_000 });
    }
  }, 90_000);
});
