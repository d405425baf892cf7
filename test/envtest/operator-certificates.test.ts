import { describe, it, expect, beforeAll, afterAll, afterEach } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { KubeClient } from '../../src/operator/kube/kube-client.js';
import type { KubeObject } from '../../src/api/meta.js';
import { issueCa, issueLeaf } from '../../src/operator/certificates/issue.js';
import { opensslVerify } from '../../src/operator/certificates/test-world.js';
import { REPO_ROOT } from './binaries.js';
import type { TestEnvironment } from './environment.js';
import { kubectl } from './kubectl.js';
import { pollUntil } from './poll.js';
import {
  createNamespace,
  grantLeaseRbac,
  reconcileCount,
  startOperator,
  waitForReconciles,
  type RunningOperator,
} from './operator-harness.js';
import { listEvents } from './support/events.js';
import { startOperatorSuite, stopOperatorSuite } from './support/operator-suite.js';

// Certificates, leader election and RBAC; no kube-controller-manager needed (nothing here relies on
// ReplicaSets or garbage collection), which keeps the file fast.
let env: TestEnvironment;
let admin: KubeClient;
const operators: RunningOperator[] = [];

beforeAll(async () => {
  ({ env, admin } = await startOperatorSuite({ controllerManager: false }));
  const crds = await kubectl(env, ['apply', '-f', join(REPO_ROOT, 'test/envtest/cert-manager-crds.yaml')]);
  expect(crds.code).toBe(0);
  await kubectl(env, ['wait', '--for=condition=Established', 'crd/certificates.cert-manager.io']);
}, 180_000);

afterEach(async () => {
  await Promise.all(operators.splice(0).map((o) => o.stop()));
});

afterAll(() => stopOperatorSuite(env, admin));

const namespace = () => createNamespace(admin, 'cert');

const cluster = (name: string, certificates: Record<string, unknown>) => ({
  apiVersion: 'hybridgate.dev/v1alpha1',
  kind: 'HybridCluster',
  metadata: { name },
  spec: {
    version: '0.1.0',
    certificates,
    controlPlane: { replicas: 1, database: { type: 'lmdb' } },
    dataPlanes: [{ name: 'public', replicas: 1, service: { type: 'ClusterIP' } }],
  },
});

const apply = (ns: string, obj: object) =>
  kubectl(env, ['apply', '-n', ns, '-f', '-'], { stdin: stringify(obj) });
const secretPath = (ns: string, n: string) => `/api/v1/namespaces/${ns}/secrets/${n}`;
interface Secret {
  metadata: { annotations?: Record<string, string>; labels?: Record<string, string> };
  data: Record<string, string>;
}
const secret = async (ns: string, n: string) => {
  const s = await admin.request<Secret>({ method: 'GET', path: secretPath(ns, n) });
  return {
    ...s,
    text: Object.fromEntries(
      Object.entries(s.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
    ),
  };
};
const until = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000) =>
  pollUntil(what, () => probe().catch(() => undefined), { timeoutMs });

/** The CP certificate verifies with the DP's bundle (sslserver) and the DP's with the CP's (sslclient). */
async function expectChainsValid(ns: string, atMs = Date.now()) {
  const cp = await secret(ns, 'edge-cp-cert');
  const dp = await secret(ns, 'edge-public-dp-cert');
  expect(
    opensslVerify(dp.text['ca.crt']!, cp.text['tls.crt']!, 'sslserver', Math.floor(atMs / 1000)),
  ).toContain('OK');
  expect(
    opensslVerify(cp.text['ca.crt']!, dp.text['tls.crt']!, 'sslclient', Math.floor(atMs / 1000)),
  ).toContain('OK');
}

describe('pki certificates issued by the operator', () => {
  it('issues CA, CP and DP certificates (openssl-verified) and rotates the CA without touching pod templates', async () => {
    const ns = await namespace();
    await operators.push(await startOperator(env, ns));
    expect((await apply(ns, cluster('edge', { mode: 'pki' }))).code).toBe(0);
    await until('DP certificate', () => secret(ns, 'edge-public-dp-cert'));
    await expectChainsValid(ns);
    const dp = await secret(ns, 'edge-public-dp-cert');
    expect(Object.keys(dp.text).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    const cpCert = new X509Certificate((await secret(ns, 'edge-cp-cert')).text['tls.crt']!);
    expect(cpCert.subjectAltName).toContain(`DNS:edge-cluster.${ns}.svc.cluster.local`);
    await until('DataPlane CertificatesReady', async () => {
      const d = await admin.request<{ status?: { conditions?: { type: string; status: string }[] } }>({
        method: 'GET',
        path: `/apis/hybridgate.dev/v1alpha1/namespaces/${ns}/dataplanes/edge-public`,
      });
      return d.status?.conditions?.some((c) => c.type === 'CertificatesReady' && c.status === 'True')
        ? true
        : undefined;
    });
    const deployPath = `/apis/apps/v1/namespaces/${ns}/deployments/edge-public`;
    const before = await admin.request<KubeObject>({ method: 'GET', path: deployPath });
    const oldCa = (await secret(ns, 'edge-ca')).text['tls.crt'];

    expect(
      (await kubectl(env, ['annotate', '-n', ns, 'controlplane/edge', 'hybridgate.dev/rotate-ca=r1'])).code,
    ).toBe(0);
    await until('rotation completed', async () => {
      const ca = await secret(ns, 'edge-ca');
      const a = ca.metadata.annotations ?? {};
      return a['hybridgate.dev/ca-phase'] === 'stable' && a['hybridgate.dev/ca-rotated-for'] === 'r1'
        ? true
        : undefined;
    });
    const ca = await secret(ns, 'edge-ca');
    expect(ca.text['tls.crt']).not.toBe(oldCa);
    await until('DP bundle holds only the new CA', async () =>
      (await secret(ns, 'edge-public-dp-cert')).text['ca.crt']!.trim() === ca.text['tls.crt']!.trim()
        ? true
        : undefined,
    );
    await expectChainsValid(ns);
    expect(() => opensslVerify(oldCa!, dp.text['tls.crt']!, 'sslclient')).not.toThrow(); // the old leaf was from the old CA
    expect(() => opensslVerify(ca.text['tls.crt']!, dp.text['tls.crt']!, 'sslclient')).toThrow();
    const events = await listEvents(admin, ns);
    expect(events.map((e) => e.reason)).toEqual(
      expect.arrayContaining([
        'CARotationStarted',
        'CARotationReissuing',
        'CARotationCompleted',
        'CertificateRenewed',
      ]),
    );
    // Certificates are reloaded from files by the runtime: no rollout.
    const after = await admin.request<KubeObject>({ method: 'GET', path: deployPath });
    expect(after.metadata!.generation).toBe(before.metadata!.generation);
  }, 60_000);

  it('renews leaves renewBefore ahead of expiry (operator clock moved forward)', async () => {
    const ns = await namespace();
    let offset = 0;
    const op = await startOperator(env, ns, { now: () => Date.now() + offset });
    operators.push(op);
    await apply(ns, cluster('edge', { mode: 'pki', duration: '2h', renewBefore: '1h' }));
    await until('DP certificate', () => secret(ns, 'edge-public-dp-cert'));
    const first = new X509Certificate((await secret(ns, 'edge-cp-cert')).text['tls.crt']!);
    expect(new Date(first.validTo).getTime() - Date.now()).toBeLessThanOrEqual(2 * 3_600_000);
    offset = 3_600_000 + 60_000;
    const n = await reconcileCount(op.manager, 'controlplane');
    await kubectl(env, ['annotate', '-n', ns, 'controlplane/edge', 'test/poke=1']);
    await waitForReconciles(op.manager, 'controlplane', 1, n);
    await until('CP certificate renewed', async () => {
      const c = new X509Certificate((await secret(ns, 'edge-cp-cert')).text['tls.crt']!);
      return c.serialNumber !== first.serialNumber ? c : undefined;
    });
    await until('DP certificate renewed', async () =>
      new X509Certificate((await secret(ns, 'edge-public-dp-cert')).text['tls.crt']!).validTo !==
      first.validTo
        ? true
        : undefined,
    );
    await expectChainsValid(ns, Date.now() + offset);
  }, 60_000);
});

describe('other providers', () => {
  it('cert-manager: creates Certificates against the issuer and consumes the Secrets (test stands in for cert-manager)', async () => {
    const ns = await namespace();
    operators.push(await startOperator(env, ns));
    await apply(
      ns,
      cluster('edge', { mode: 'pki', provider: 'cert-manager', issuerRef: { name: 'corp-ca' } }),
    );
    const certPath = (n: string) => `/apis/cert-manager.io/v1/namespaces/${ns}/certificates/${n}`;
    const cp = await until('CP Certificate', () =>
      admin.request<{ spec: Record<string, unknown> }>({ method: 'GET', path: certPath('edge-cp-cert') }),
    );
    expect(cp.spec).toMatchObject({
      secretName: 'edge-cp-cert',
      issuerRef: { name: 'corp-ca', kind: 'Issuer', group: 'cert-manager.io' },
      usages: ['digital signature', 'key encipherment', 'server auth'],
    });
    const dpCert = await until('DP Certificate', () =>
      admin.request<{ spec: { secretTemplate: { labels: Record<string, string> } } }>({
        method: 'GET',
        path: certPath('edge-public-dp-cert'),
      }),
    );
    const cpPath = `/apis/hybridgate.dev/v1alpha1/namespaces/${ns}/controlplanes/edge`;
    const condition = async () =>
      (
        await admin.request<{ status?: { conditions?: { type: string; status: string; reason: string }[] } }>(
          { method: 'GET', path: cpPath },
        )
      ).status?.conditions?.find((c) => c.type === 'CertificatesReady');
    await until('CertificatesPending', async () =>
      (await condition())?.reason === 'CertificatesPending' ? true : undefined,
    );
    // STAND-IN for cert-manager: sign with a test CA and write the Secrets with the template labels.
    const ca = issueCa('corp CA', Date.now(), 24 * 3_600_000);
    for (const [name, usage] of [
      ['edge-cp-cert', 'server'],
      ['edge-public-dp-cert', 'client'],
    ] as const) {
      const leaf = issueLeaf(ca, {
        usage,
        commonName: name,
        now: Date.now(),
        notAfter: Date.now() + 3_600_000,
      });
      const data = { 'tls.crt': leaf.certPem, 'tls.key': leaf.keyPem, 'ca.crt': ca.certPem };
      await admin.request({
        method: 'POST',
        path: `/api/v1/namespaces/${ns}/secrets`,
        body: {
          apiVersion: 'v1',
          kind: 'Secret',
          type: 'kubernetes.io/tls',
          metadata: { name, namespace: ns, labels: dpCert.spec.secretTemplate.labels },
          data: Object.fromEntries(
            Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
          ),
        },
      });
    }
    await until('CertificatesReady True', async () =>
      (await condition())?.status === 'True' ? true : undefined,
    );
  }, 60_000);

  it('secret provider: a Secret that is not a CA is reported in CertificatesReady', async () => {
    const ns = await namespace();
    operators.push(await startOperator(env, ns));
    const leafOnly = issueLeaf(issueCa('x', Date.now(), 3_600_000), {
      usage: 'client',
      commonName: 'not-a-ca',
      now: Date.now(),
      notAfter: Date.now() + 3_600_000,
    });
    await kubectl(env, [
      'create',
      'secret',
      'generic',
      'my-ca',
      '-n',
      ns,
      `--from-literal=tls.crt=${leafOnly.certPem}`,
      `--from-literal=tls.key=${leafOnly.keyPem}`,
    ]);
    await apply(ns, cluster('edge', { mode: 'pki', provider: 'secret', caSecretName: 'my-ca' }));
    const msg = await until('CertificatesInvalid', async () => {
      const cp = await admin.request<{
        status?: { conditions?: { type: string; reason: string; message: string }[] };
      }>({ method: 'GET', path: `/apis/hybridgate.dev/v1alpha1/namespaces/${ns}/controlplanes/edge` });
      const c = cp.status?.conditions?.find((x) => x.type === 'CertificatesReady');
      return c?.reason === 'CertificatesInvalid' ? c.message : undefined;
    });
    expect(msg).toBe('Secret my-ca: tls.crt is not a CA certificate (basicConstraints CA:TRUE expected)');
  }, 30_000);
});

describe('spec problems surface in conditions', () => {
  const condition = async (path: string) =>
    (
      await admin.request<{
        status?: { conditions?: { type: string; status: string; reason: string; message: string }[] };
      }>({ method: 'GET', path })
    ).status?.conditions?.find((c) => c.type === 'Ready');

  it('an lmdb storage change the StatefulSet cannot take is reported, not retried forever', async () => {
    const ns = await namespace();
    operators.push(await startOperator(env, ns));
    await apply(ns, cluster('edge', { mode: 'shared' }));
    await until('StatefulSet', () =>
      admin.request({ method: 'GET', path: `/apis/apps/v1/namespaces/${ns}/statefulsets/edge` }),
    );
    const bigger = cluster('edge', { mode: 'shared' });
    bigger.spec.controlPlane = { replicas: 1, database: { type: 'lmdb', storage: '5Gi' } as never };
    await apply(ns, bigger);
    const c = await until('Ready False InvalidSpec', async () => {
      const r = await condition(`/apis/hybridgate.dev/v1alpha1/namespaces/${ns}/controlplanes/edge`);
      return r?.reason === 'InvalidSpec' ? r : undefined;
    });
    expect(c.message).toContain('the workload cannot be updated to this spec');
    expect(c.message).toContain('Forbidden');
  }, 30_000);

  it('a DataPlane waits for its ControlPlane, then runs', async () => {
    const ns = await namespace();
    operators.push(await startOperator(env, ns));
    const dpPath = `/apis/hybridgate.dev/v1alpha1/namespaces/${ns}/dataplanes/lone`;
    await apply(ns, {
      apiVersion: 'hybridgate.dev/v1alpha1',
      kind: 'DataPlane',
      metadata: { name: 'lone' },
      spec: { version: '0.1.0', controlPlaneRef: { name: 'later' } },
    });
    const blocked = await until('ControlPlaneNotFound', async () => {
      const r = await condition(dpPath);
      return r?.reason === 'ControlPlaneNotFound' ? r : undefined;
    });
    expect(blocked.message).toBe(`DataPlane lone: ControlPlane "later" not found in namespace ${ns}`);
    await apply(ns, {
      apiVersion: 'hybridgate.dev/v1alpha1',
      kind: 'ControlPlane',
      metadata: { name: 'later' },
      spec: { version: '0.1.0', certificates: { mode: 'pki' } },
    });
    await until('DataPlane Deployment', () =>
      admin.request({ method: 'GET', path: `/apis/apps/v1/namespaces/${ns}/deployments/lone` }),
    );
    await until('its client certificate', () => secret(ns, 'lone-dp-cert'));
    await until('Ready reason Unavailable (no pods here)', async () =>
      (await condition(dpPath))?.reason === 'Unavailable' ? true : undefined,
    );
  }, 30_000);
});

describe('leader election and RBAC', () => {
  it('two operators: one reconciles; the other takes over when it stops', async () => {
    const ns = await namespace();
    await grantLeaseRbac(env, admin, ns);
    const a = await startOperator(env, ns, { leaderElection: { namespace: ns, identity: 'a' } });
    operators.push(a);
    await pollUntil('a leads', () => (a.manager.isLeader ? true : undefined));
    const b = await startOperator(env, ns, { leaderElection: { namespace: ns, identity: 'b' } });
    operators.push(b);
    await apply(ns, cluster('one', { mode: 'shared' }));
    await until('one reconciled', () =>
      admin.request({
        method: 'GET',
        path: `/apis/hybridgate.dev/v1alpha1/namespaces/${ns}/controlplanes/one`,
      }),
    );
    expect(b.manager.isLeader).toBe(false);
    expect(await reconcileCount(b.manager, 'hybridcluster')).toBe(0);
    await a.stop();
    operators.splice(operators.indexOf(a), 1);
    await pollUntil('b takes over', () => (b.manager.isLeader ? true : undefined), { timeoutMs: 15_000 });
    await apply(ns, cluster('two', { mode: 'shared' }));
    await until('two reconciled by b', () =>
      admin.request({
        method: 'GET',
        path: `/apis/hybridgate.dev/v1alpha1/namespaces/${ns}/controlplanes/two`,
      }),
    );
    expect(await reconcileCount(b.manager, 'hybridcluster')).toBeGreaterThan(0);
  }, 60_000);

  it('the operator identity has only what config/rbac grants', async () => {
    const can = async (...args: string[]) =>
      (await kubectl(env, ['auth', 'can-i', ...args], { user: 'operator' })).stdout.trim();
    expect(await can('patch', 'deployments.apps')).toBe('yes');
    expect(await can('patch', 'hybridclusters.hybridgate.dev')).toBe('no');
    expect(await can('delete', 'secrets')).toBe('no');
    expect(await can('list', 'pods')).toBe('yes');
    expect(await can('delete', 'pods')).toBe('no');
    expect(await can('update', 'deployments.apps')).toBe('no');
    expect(await can('create', 'clusterroles.rbac.authorization.k8s.io')).toBe('no');
  });
});
