import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { stringify } from 'yaml';
import { startEnvironment, type TestEnvironment } from './environment.js';
import { kubectl } from './kubectl.js';

// One environment for the file; each test works in its own namespace.
let env: TestEnvironment;
let nsCounter = 0;

beforeAll(async () => {
  env = await startEnvironment({ controllerManager: false });
  // The start time goes to the report; it is printed once per file.
  process.stderr.write(`envtest: environment started in ${env.startupMs} ms\n`);
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

async function namespace(): Promise<string> {
  const ns = `crds-${process.pid}-${++nsCounter}`;
  const r = await kubectl(env, ['create', 'namespace', ns]);
  expect(r.stderr).toBe('');
  return ns;
}

const apply = (ns: string, obj: object) =>
  kubectl(env, ['apply', '-n', ns, '-f', '-'], { stdin: stringify(obj) });

const hybridCluster = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'hybridgate.dev/v1alpha1',
  kind: 'HybridCluster',
  metadata: { name },
  spec: { version: '0.1.0', ...spec },
});

const dataPlane = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'hybridgate.dev/v1alpha1',
  kind: 'DataPlane',
  metadata: { name },
  spec: { version: '0.1.0', controlPlaneRef: { name: 'edge' }, ...spec },
});

/** Splits `kubectl get` output (tables separated by blank lines) into rows keyed by header, by column offsets. */
function parseTables(out: string): { header: string[]; rows: Record<string, string>[] }[] {
  return out
    .split(/\n\s*\n/)
    .filter((block) => block.trim())
    .map((block) => {
      const [head = '', ...lines] = block.split('\n').filter((l) => l.trim());
      const starts = [...head.matchAll(/\S+(?: \S+)*/g)].map((m) => ({ name: m[0], at: m.index }));
      const rows = lines.map((line) =>
        Object.fromEntries(
          starts.map((c, i) => [c.name, line.slice(c.at, starts[i + 1]?.at ?? line.length).trim()]),
        ),
      );
      return { header: starts.map((c) => c.name), rows };
    });
}

describe('CRD validation (the real apiserver)', () => {
  it('applies the issue example and fills the defaults', async () => {
    const ns = await namespace();
    const r = await apply(
      ns,
      hybridCluster('edge', {
        certificates: { mode: 'pki', provider: 'operator' },
        controlPlane: { replicas: 1, database: { type: 'lmdb' } },
        dataPlanes: [
          { name: 'public', replicas: 3, labels: { region: 'eu-west-1' }, service: { type: 'LoadBalancer' } },
        ],
      }),
    );
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const got = JSON.parse(
      (await kubectl(env, ['get', '-n', ns, 'hybridcluster/edge', '-o', 'json'])).stdout,
    );
    expect(got.spec.certificates).toEqual({
      mode: 'pki',
      provider: 'operator',
      duration: '2160h',
      renewBefore: '360h',
    });
    expect(got.spec.controlPlane.database).toEqual({ type: 'lmdb', storage: '1Gi' });
    expect(got.spec.controlPlane.adminService).toEqual({ type: 'ClusterIP' });
    expect(got.spec.dataPlanes[0].service.ports).toEqual([
      { name: 'proxy', port: 80 },
      { name: 'proxy-ssl', port: 443 },
    ]);
  });

  it('changes nothing when the same manifest is applied twice (client-side and server-side apply)', async () => {
    const ns = await namespace();
    const manifest = hybridCluster('edge', {
      dataPlanes: [{ name: 'public', replicas: 3, labels: { region: 'eu-west-1' } }],
    });
    const rv = async () =>
      JSON.parse((await kubectl(env, ['get', '-n', ns, 'hybridcluster/edge', '-o', 'json'])).stdout).metadata
        .resourceVersion;
    expect((await apply(ns, manifest)).code).toBe(0);
    const first = await rv();
    // Client-side apply sends a patch for the defaulted list (JSON merge patch replaces lists), but the
    // server finds the result identical and does not write.
    expect((await apply(ns, manifest)).code).toBe(0);
    expect(await rv()).toBe(first);
    const ssa = ['apply', '--server-side', '--field-manager=test', '-n', ns, '-f', '-'];
    expect((await kubectl(env, ssa, { stdin: stringify(manifest) })).code).toBe(0);
    const afterSsa = await rv();
    const again = await kubectl(env, ssa, { stdin: stringify(manifest) });
    expect(again.code).toBe(0);
    expect(await rv()).toBe(afterSsa);
  });

  it.each([
    [
      'lmdb with 2 control plane replicas',
      { controlPlane: { replicas: 2, database: { type: 'lmdb' } } },
      'database type lmdb keeps the configuration in one local volume and supports only 1 control plane replica',
    ],
    [
      'pki with provider secret and no CA',
      { certificates: { mode: 'pki', provider: 'secret' } },
      'mode pki with provider secret requires caSecretName',
    ],
    [
      'cert-manager without issuerRef',
      { certificates: { provider: 'cert-manager' } },
      'provider cert-manager requires issuerRef',
    ],
    [
      'renewBefore not shorter than duration',
      { certificates: { duration: '24h', renewBefore: '48h' } },
      'renewBefore must be shorter than duration',
    ],
    [
      'postgres without a Secret',
      { controlPlane: { replicas: 3, database: { type: 'postgres' } } },
      'database type postgres requires secretRef',
    ],
    [
      'a reserved label prefix',
      { dataPlanes: [{ name: 'a', labels: { konnect_region: 'eu' } }] },
      'data plane label keys may not start with kong, konnect, insomnia, mesh or kic',
    ],
    [
      '11 labels',
      {
        dataPlanes: [
          // 10 user labels + the one the operator adds would pass Kong's limit of 10.
          { name: 'a', labels: Object.fromEntries([...Array(10).keys()].map((i) => [`k${i}`, 'v'])) },
        ],
      },
      'at most 9 data plane labels are allowed',
    ],
    [
      'a label value with a comma',
      { dataPlanes: [{ name: 'a', labels: { region: 'eu,us' } }] },
      'data plane label values must be 1 to 63 characters',
    ],
    [
      'a label key ending in a dash',
      { dataPlanes: [{ name: 'a', labels: { 'region-': 'eu' } }] },
      'data plane label keys must be 1 to 63 characters',
    ],
    ['duplicate data plane groups', { dataPlanes: [{ name: 'a' }, { name: 'a' }] }, 'Duplicate value'],
    [
      'a managed conf key',
      { controlPlane: { conf: { cluster_cert: '/x' } } },
      'conf may not set keys the operator manages',
    ],
    [
      'turning off the Admin API protection the operator sets up',
      { controlPlane: { conf: { admin_auth_tokens_file: '/tmp/mine' } } },
      'Admin API authentication and TLS',
    ],
    [
      'nodePort on a ClusterIP service',
      {
        dataPlanes: [
          {
            name: 'a',
            service: { type: 'ClusterIP', ports: [{ name: 'proxy', port: 80, nodePort: 30080 }] },
          },
        ],
      },
      'nodePort needs service type NodePort or LoadBalancer',
    ],
  ])('rejects %s with a clear message', async (_what, spec, message) => {
    const ns = await namespace();
    const r = await apply(ns, hybridCluster('bad', spec));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(message);
  });

  it('rejects a DataPlane with both or neither control plane', async () => {
    const ns = await namespace();
    const both = await apply(
      ns,
      dataPlane('dp-both', {
        externalControlPlane: { endpoint: 'cp.example.com:8005', certificateSecretRef: { name: 's' } },
      }),
    );
    expect(both.stderr).toContain('set exactly one of controlPlaneRef');
    const neither = await apply(ns, { ...dataPlane('dp-neither', {}), spec: { version: '0.1.0' } });
    expect(neither.stderr).toContain('set exactly one of controlPlaneRef');
    const external = await apply(ns, {
      ...dataPlane('dp-external', {}),
      spec: {
        version: '0.1.0',
        externalControlPlane: { endpoint: 'cp.example.com:8005', certificateSecretRef: { name: 's' } },
      },
    });
    expect(external).toMatchObject({ code: 0, stderr: '' });
  });

  it('prints the columns of kubectl get hybridclusters,controlplanes,dataplanes', async () => {
    const ns = await namespace();
    await apply(ns, hybridCluster('edge', {}));
    await apply(ns, {
      apiVersion: 'hybridgate.dev/v1alpha1',
      kind: 'ControlPlane',
      metadata: { name: 'edge' },
      spec: { version: '0.1.0' },
    });
    await apply(ns, dataPlane('edge-public', { replicas: 3 }));
    // Status as part 2 will fill it, written through the status subresource.
    const status = {
      status: {
        replicas: 3,
        readyReplicas: 3,
        syncedSummary: '3/3',
        configHash: '5f1c2a9e0123456789abcdef01234567',
        configHashShort: '5f1c2a9e',
        selector: 'app=x',
      },
    };
    const patch = await kubectl(env, [
      'patch',
      '-n',
      ns,
      'dataplane/edge-public',
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify(status),
    ]);
    expect(patch.stderr).toBe('');
    const r = await kubectl(env, ['get', '-n', ns, 'hybridclusters,controlplanes,dataplanes']);
    expect(r.code).toBe(0);
    const tables = parseTables(r.stdout);
    expect(tables.map((t) => t.header)).toEqual([
      ['NAME', 'MODE', 'VERSION', 'READY', 'DATAPLANES', 'SYNCED', 'AGE'],
      ['NAME', 'READY', 'DATABASE', 'DATAPLANES', 'AGE'],
      ['NAME', 'READY', 'DESIRED', 'SYNCED', 'VERSION', 'CONFIG HASH', 'AGE'],
    ]);
    expect(tables[2]!.rows[0]).toMatchObject({
      NAME: 'dataplane.hybridgate.dev/edge-public',
      READY: '3',
      DESIRED: '3',
      SYNCED: '3/3',
      VERSION: '0.1.0',
      'CONFIG HASH': '5f1c2a9e',
    });
    expect(tables[1]!.rows[0]).toMatchObject({ NAME: 'controlplane.hybridgate.dev/edge', DATABASE: 'lmdb' });
    expect(tables[0]!.rows[0]).toMatchObject({ NAME: 'hybridcluster.hybridgate.dev/edge', MODE: 'pki' });
    // Short names and the category resolve too.
    const cat = await kubectl(env, ['get', '-n', ns, 'hybridgate', '-o', 'name']);
    expect(cat.stdout.split('\n').filter(Boolean).sort()).toEqual([
      'controlplane.hybridgate.dev/edge',
      'dataplane.hybridgate.dev/edge-public',
      'hybridcluster.hybridgate.dev/edge',
    ]);
    expect((await kubectl(env, ['get', '-n', ns, 'hgdp', '-o', 'name'])).stdout.trim()).toBe(
      'dataplane.hybridgate.dev/edge-public',
    );
  });

  it('documents fields for kubectl explain', async () => {
    const r = await kubectl(env, ['explain', 'dataplane.spec']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('controlPlaneRef');
    expect(r.stdout).toContain('The ControlPlane (in the same namespace) the data planes connect to.');
    expect(r.stdout.replace(/\s+/g, ' ')).toContain("(Kong's cluster_dp_labels)");
    const cert = await kubectl(env, ['explain', 'hybridcluster.spec.certificates.mode']);
    expect(cert.stdout).toContain('kong_clustering');
  });

  it('scales a DataPlane through the scale subresource', async () => {
    const ns = await namespace();
    await apply(ns, dataPlane('x', { replicas: 2 }));
    const r = await kubectl(env, ['scale', '-n', ns, 'dataplane/x', '--replicas=5']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const got = JSON.parse((await kubectl(env, ['get', '-n', ns, 'dataplane/x', '-o', 'json'])).stdout);
    expect(got.spec.replicas).toBe(5);
    const scale = JSON.parse(
      (
        await kubectl(env, [
          'get',
          '--raw',
          `/apis/hybridgate.dev/v1alpha1/namespaces/${ns}/dataplanes/x/scale`,
        ])
      ).stdout,
    );
    expect(scale).toMatchObject({ kind: 'Scale', spec: { replicas: 5 } });
  });
});
