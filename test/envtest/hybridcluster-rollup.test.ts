import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { stringify } from 'yaml';
import type { KubeObject } from '../../src/api/meta.js';
import type { KubeClient } from '../../src/operator/kube/kube-client.js';
import type { TestEnvironment } from './environment.js';
import { kubectl } from './kubectl.js';
import { createNamespace, startOperator, type RunningOperator } from './operator-harness.js';
import { pollUntil } from './poll.js';
import { findCondition, type Condition } from './support/conditions.js';
import { writeFleetStatus } from './support/fleet-status-writer.js';
import { startOperatorSuite, stopOperatorSuite } from './support/operator-suite.js';

// The HybridCluster CRD's version and label rules against the real kube-apiserver (CEL with the semver
// library), and the status roll-up with the operator running: the test plays the workload controllers
// (workload status) and the fleet-status controller (Synced/Compatible on each DataPlane).
let env: TestEnvironment;
let admin: KubeClient;
let op: RunningOperator | undefined;

beforeAll(async () => {
  ({ env, admin } = await startOperatorSuite({ controllerManager: false }));
}, 180_000);

afterAll(async () => {
  await op?.stop();
  await stopOperatorSuite(env, admin);
});

const apply = (ns: string, obj: object, dryRun = false) =>
  kubectl(env, ['apply', '-n', ns, ...(dryRun ? ['--dry-run=server'] : []), '-f', '-'], {
    stdin: stringify(obj),
  });
const group = (name: string, extra: object = {}) => ({
  name,
  replicas: 1,
  service: { type: 'ClusterIP' },
  ...extra,
});
const cluster = (spec: object) => ({
  apiVersion: 'hybridgate.dev/v1alpha1',
  kind: 'HybridCluster',
  metadata: { name: 'edge' },
  spec: { version: '0.2.5', certificates: { mode: 'shared' }, ...spec },
});
const dataPlane = (spec: object) => ({
  apiVersion: 'hybridgate.dev/v1alpha1',
  kind: 'DataPlane',
  metadata: { name: 'solo' },
  spec: { version: '0.2.0', controlPlaneRef: { name: 'cp' }, ...spec },
});
const labels = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, `v${i}`]));

describe('HybridCluster and DataPlane CRD rules (real apiserver)', () => {
  let ns: string;
  beforeAll(async () => {
    ns = await createNamespace(admin, 'rules');
  });

  it.each<[string, object, string]>([
    [
      'a group version newer (major.minor) than spec.version',
      cluster({ dataPlanes: [group('a', { version: '0.3.0' })] }),
      "a dataPlanes[].version is newer than the control plane's 0.2.5: a data plane may not run a newer major.minor than its control plane (Kong's version compatibility rule)",
    ],
    [
      'a group version with another major',
      cluster({ dataPlanes: [group('a'), group('b', { version: '1.0.0' })] }),
      "a dataPlanes[].version has another major version than the control plane's 0.2.5: a data plane must run the major version of its control plane (Kong's version compatibility rule)",
    ],
    [
      'a spec.version that is not semver (leading zero)',
      cluster({ version: '0.02.5' }),
      'version must be a semantic version major.minor.patch without leading zeros',
    ],
    [
      'a group version that is not semver',
      cluster({ dataPlanes: [group('a', { version: '0.01.0' })] }),
      'version must be a semantic version major.minor.patch without leading zeros',
    ],
    [
      '10 group labels (the operator adds its own; Kong allows 10)',
      cluster({ dataPlanes: [group('a', { labels: labels(10) })] }),
      'at most 9 data plane labels are allowed (Kong allows 10 and the operator adds hybridgate.dev.dataplane to every data plane)',
    ],
  ])('refuses %s, saying why', async (_name, obj, message) => {
    const out = await apply(ns, obj);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain(message);
  });

  it.each<[string, object, string]>([
    [
      'a DataPlane with 10 labels',
      dataPlane({ labels: labels(10) }),
      'at most 9 data plane labels are allowed (Kong allows 10 and the operator adds hybridgate.dev.dataplane to every data plane)',
    ],
    [
      'a DataPlane version that is not semver',
      dataPlane({ version: '0.2.00' }),
      'version must be a semantic version',
    ],
  ])('refuses %s, saying why', async (_name, obj, message) => {
    const out = await apply(ns, obj);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain(message);
  });

  it('accepts an older group minor, a newer group patch, a prerelease and 9 labels', async () => {
    const ok = cluster({
      version: '0.3.0-rc.1',
      dataPlanes: [
        group('a', { version: '0.2.9', labels: labels(9) }),
        group('b', { version: '0.3.7' }), // patch levels never matter (Kong's rule)
        group('c'),
      ],
    });
    expect(await apply(ns, ok, true)).toMatchObject({ code: 0 });
    expect(await apply(ns, dataPlane({ labels: labels(9) }), true)).toMatchObject({ code: 0 });
  });
});

describe('HybridCluster status roll-up', () => {
  let ns: string;
  const hg = (plural: string, name: string) =>
    `/apis/hybridgate.dev/v1alpha1/namespaces/${ns}/${plural}/${name}`;
  const get = <T>(path: string) => admin.request<T>({ method: 'GET', path });
  type HcStatus = {
    conditions?: Condition[];
    dataPlanes?: Record<string, unknown>[];
    controlPlane?: Record<string, unknown>;
    syncedSummary?: string;
  };
  const hcStatus = async () => (await get<{ status?: HcStatus }>(hg('hybridclusters', 'edge'))).status;
  const hcCond = (type: string, want: (c: Condition) => boolean) =>
    pollUntil(`HybridCluster ${type}`, async () => {
      const c = findCondition(await hcStatus(), type);
      return c && want(c) ? c : undefined;
    });

  async function rolledOut(kind: string, name: string): Promise<void> {
    const path = `/apis/apps/v1/namespaces/${ns}/${kind}/${name}`;
    const w = await pollUntil(`${kind}/${name}`, () =>
      get<KubeObject & { spec: { replicas: number } }>(path).catch(() => undefined),
    );
    const n = w.spec.replicas;
    await admin.request({
      method: 'PATCH',
      path: `${path}/status`,
      contentType: 'application/merge-patch+json',
      body: {
        status: {
          observedGeneration: w.metadata!.generation,
          replicas: n,
          updatedReplicas: n,
          readyReplicas: n,
          availableReplicas: n,
        },
      },
    });
  }

  // What the fleet-status controller writes on a DataPlane (the test plays it).
  const fleet = (dp: string, synced: number, total: number, compatible = true) =>
    writeFleetStatus(admin, ns, dp, { synced, total, compatible });

  it('rolls up Ready, Synced, Compatible and the per-group rows; kubectl wait and columns work', async () => {
    ns = await createNamespace(admin, 'rollup');
    op = await startOperator(env, ns);
    const hc = cluster({
      controlPlane: { replicas: 1, database: { type: 'lmdb' } },
      dataPlanes: [group('a', { replicas: 2 }), group('b', { version: '0.1.4' })],
    });
    expect(await apply(ns, hc)).toMatchObject({ code: 0 });
    await rolledOut('statefulsets', 'edge');
    await rolledOut('deployments', 'edge-a');
    await rolledOut('deployments', 'edge-b');
    await hcCond('Ready', (c) => c.status === 'True');
    // No fleet status yet: Synced is Unknown and says why, never False.
    const unknown = await hcCond('Synced', (c) => c.status === 'Unknown');
    expect(unknown).toMatchObject({ reason: 'FleetStatusUnavailable' });
    expect(unknown.message).toContain('group(s) a, b');

    await fleet('edge-a', 2, 2);
    await fleet('edge-b', 0, 1);
    const out = await hcCond('Synced', (c) => c.status === 'False');
    expect(out).toMatchObject({ reason: 'OutOfSync' });
    expect(out.message).toContain('group b (0/1 data planes');
    const waitFalse = await kubectl(env, [
      'wait',
      '-n',
      ns,
      '--for=condition=Synced',
      'hybridcluster/edge',
      '--timeout=1s',
    ]);
    expect(waitFalse.code).not.toBe(0);

    await fleet('edge-b', 1, 1, false);
    const wait = await kubectl(env, [
      'wait',
      '-n',
      ns,
      '--for=condition=Synced',
      'hybridcluster/edge',
      '--timeout=20s',
    ]);
    expect(wait).toMatchObject({ code: 0 });
    const incompatible = await hcCond('Compatible', (c) => c.status === 'False');
    expect(incompatible.message).toContain('group b (node n1: kong_version_incompatible)');
    await fleet('edge-b', 1, 1, true);
    await hcCond('Compatible', (c) => c.status === 'True');

    const s = (await hcStatus())!;
    expect(s.controlPlane).toMatchObject({ name: 'edge', ready: true, version: '0.2.5' });
    expect(s.dataPlanes).toEqual([
      {
        group: 'a',
        name: 'edge-a',
        version: '0.2.5',
        replicas: 2,
        readyReplicas: 2,
        syncedNodes: 2,
        totalNodes: 2,
        ready: true,
        synced: true,
      },
      {
        group: 'b',
        name: 'edge-b',
        version: '0.1.4',
        replicas: 1,
        readyReplicas: 1,
        syncedNodes: 1,
        totalNodes: 1,
        ready: true,
        synced: true,
      },
    ]);
    expect(s.syncedSummary).toBe('3/3');
    expect(s.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({
      status: 'False',
      reason: 'AsExpected',
    });

    const table = await kubectl(env, ['get', 'hybridcluster', 'edge', '-n', ns]);
    const [head, row] = table.stdout
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/));
    const col = (name: string) => row![head!.indexOf(name)];
    expect(col('VERSION')).toBe('0.2.5');
    expect(col('SYNCED')).toBe('3/3');
    expect(col('READY')).toBe('True');
  }, 90_000);
});
