import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { stringify } from 'yaml';
import type { KubeObject } from '../../src/api/meta.js';
import type { KubeClient } from '../../src/operator/kube/kube-client.js';
import type { TestEnvironment } from './environment.js';
import { kubectl } from './kubectl.js';
import {
  createNamespace,
  resourceVersions,
  startOperator,
  waitForReconciles,
  type RunningOperator,
} from './operator-harness.js';
import { pollUntil } from './poll.js';
import { findCondition, type Condition } from './support/conditions.js';
import { listEvents } from './support/events.js';
import { writeFleetStatus } from './support/fleet-status-writer.js';
import { startOperatorSuite, stopOperatorSuite } from './support/operator-suite.js';

// A version change of a HybridCluster against a real kube-apiserver, without kube-controller-manager or
// kubelet: the test plays the StatefulSet/Deployment controllers and the kubelet (it writes workload
// status), and plays the fleet-status controller (it writes Synced and counts on DataPlane.status
// under its own field manager; the operator's fleet-status controller is off). Every change of a
// workload's image is recorded from a watch, in one timeline with the test's own steps.
let env: TestEnvironment;
let admin: KubeClient;
let ns: string;
let op: RunningOperator | undefined;
const watches = new AbortController();
const timeline: string[] = [];
const images = new Map<string, string>();

type Workload = KubeObject & {
  spec: { replicas?: number; template: { spec: { containers: { image: string }[] } } };
  status?: Record<string, unknown>;
};
type Hc = KubeObject & { status?: { conditions?: Condition[]; upgrade?: { step: string } } };

const apps = (kind: 'deployments' | 'statefulsets', name = '') =>
  `/apis/apps/v1/namespaces/${ns}/${kind}${name ? `/${name}` : ''}`;
const hgPath = (plural: string, name = '') =>
  `/apis/hybridgate.dev/v1alpha1/namespaces/${ns}/${plural}${name ? `/${name}` : ''}`;
const get = <T>(path: string) => admin.request<T>({ method: 'GET', path });
const tag = (w: Workload) => w.spec.template.spec.containers[0]!.image.split(':').pop()!;

function record(kind: 'deployments' | 'statefulsets'): void {
  void admin
    .watch<Workload>(
      apps(kind),
      {},
      (ev) => {
        if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED') return;
        const name = ev.object.metadata!.name!;
        const t = tag(ev.object);
        if (images.get(name) !== t) timeline.push(`${name}=${t}`);
        images.set(name, t);
      },
      { signal: watches.signal },
    )
    .catch(() => undefined);
}

// The StatefulSet/Deployment controller and kubelet: the current template rolled out, in two steps as
// a real rollout (a pod down, then all updated and ready), so each step changes the children's status.
async function rollOut(kind: 'deployments' | 'statefulsets', name: string): Promise<void> {
  const w = await get<Workload>(apps(kind, name));
  const n = w.spec.replicas ?? 1;
  const gen = w.metadata!.generation!;
  const patch = (status: Record<string, unknown>) =>
    admin.request({
      method: 'PATCH',
      path: `${apps(kind, name)}/status`,
      body: { status },
      contentType: 'application/merge-patch+json',
    });
  await patch({
    observedGeneration: gen,
    replicas: n,
    updatedReplicas: 0,
    readyReplicas: n - 1,
    availableReplicas: n - 1,
  });
  await patch({
    observedGeneration: gen,
    replicas: n,
    updatedReplicas: n,
    readyReplicas: n,
    availableReplicas: n,
    ...(kind === 'statefulsets' ? { currentRevision: `r${gen}`, updateRevision: `r${gen}` } : {}),
  });
  timeline.push(`${name} rolled out`);
}

// The fleet-status controller's part (its controller is off here), recorded in the timeline.
async function setSynced(dp: string, synced: number, total: number): Promise<void> {
  await writeFleetStatus(admin, ns, dp, { synced, total });
  if (synced === total) timeline.push(`${dp} synced`);
}

const progressing = async (match: (c: Condition) => boolean, what: string) =>
  pollUntil(
    `HybridCluster Progressing: ${what}`,
    async () => {
      const c = findCondition((await get<Hc>(hgPath('hybridclusters', 'edge'))).status, 'Progressing');
      return c && match(c) ? c : undefined;
    },
    { timeoutMs: 30_000 },
  );
const imageIs = (kind: 'deployments' | 'statefulsets', name: string, version: string) =>
  pollUntil(`${name} at ${version}`, async () =>
    tag(await get<Workload>(apps(kind, name))) === version ? true : undefined,
  );

async function startOp(): Promise<void> {
  op = await startOperator(env, ns);
}

beforeAll(async () => {
  ({ env, admin } = await startOperatorSuite({ controllerManager: false }));
  ns = await createNamespace(admin, 'upgrade');
  record('deployments');
  record('statefulsets');
}, 180_000);

afterAll(async () => {
  watches.abort();
  await op?.stop();
  await stopOperatorSuite(env, admin);
});

const cluster = (version: string) => ({
  apiVersion: 'hybridgate.dev/v1alpha1',
  kind: 'HybridCluster',
  metadata: { name: 'edge' },
  spec: {
    version,
    certificates: { mode: 'shared' },
    controlPlane: { replicas: 1, database: { type: 'lmdb' } },
    dataPlanes: [
      { name: 'a', replicas: 2, service: { type: 'ClusterIP' } },
      { name: 'b', replicas: 1, service: { type: 'ClusterIP' } },
    ],
  },
});
const apply = (obj: object) => kubectl(env, ['apply', '-n', ns, '-f', '-'], { stdin: stringify(obj) });

describe('HybridCluster upgrade in a safe order', () => {
  it('moves the CP first, then each group after the previous is Ready and Synced; a restart continues', async () => {
    await startOp();
    expect(await apply(cluster('0.1.0'))).toMatchObject({ code: 0 });
    await imageIs('statefulsets', 'edge', '0.1.0');
    await imageIs('deployments', 'edge-a', '0.1.0');
    await imageIs('deployments', 'edge-b', '0.1.0');
    await rollOut('statefulsets', 'edge');
    await rollOut('deployments', 'edge-a');
    await rollOut('deployments', 'edge-b');
    await setSynced('edge-a', 2, 2);
    await setSynced('edge-b', 1, 1);
    await progressing((c) => c.reason === 'AsExpected' && c.status === 'False', 'AsExpected');
    timeline.length = 0;

    expect(await apply(cluster('0.2.0'))).toMatchObject({ code: 0 });
    await imageIs('statefulsets', 'edge', '0.2.0');
    const cpStep = await progressing((c) => c.reason === 'UpgradingControlPlane', 'UpgradingControlPlane');
    expect(cpStep.message).toMatch(/^upgrading 0\.1\.0 to 0\.2\.0: control plane: /);
    // The CP has not rolled out: the groups keep 0.1.0 (the operator has reconciled that state).
    await progressing((c) => /control plane: waiting for the StatefulSet/.test(c.message), 'CP rollout wait');
    expect(tag(await get<Workload>(apps('deployments', 'edge-a')))).toBe('0.1.0');

    await rollOut('statefulsets', 'edge');
    await imageIs('deployments', 'edge-a', '0.2.0');
    await setSynced('edge-a', 0, 2); // new pods connect on the old hash first
    await rollOut('deployments', 'edge-a');
    const waiting = await progressing(
      (c) => /waiting for Synced/.test(c.message),
      'group a waits for Synced',
    );
    expect(waiting).toMatchObject({
      status: 'True',
      reason: 'UpgradingDataPlanes',
      message:
        'upgrading 0.1.0 to 0.2.0: group 1/2 (a): waiting for Synced (0/2 data planes on the current hash)',
    });
    expect(tag(await get<Workload>(apps('deployments', 'edge-b')))).toBe('0.1.0');

    // Restart mid-upgrade: the state is in the objects. Group a becomes Synced while no operator runs.
    await op!.stop();
    op = undefined;
    await setSynced('edge-a', 2, 2);
    await startOp();
    await imageIs('deployments', 'edge-b', '0.2.0');
    await rollOut('deployments', 'edge-b');
    await setSynced('edge-b', 1, 1);
    const done = await progressing((c) => c.reason === 'UpgradeComplete', 'UpgradeComplete');
    expect(done.status).toBe('False');

    expect(timeline).toEqual([
      'edge=0.2.0',
      'edge rolled out',
      'edge-a=0.2.0',
      'edge-a rolled out',
      'edge-a synced',
      'edge-b=0.2.0',
      'edge-b rolled out',
      'edge-b synced',
    ]);

    // Events are recorded right after the status write that Progressing was read from: wait for the last.
    const upgradeEvents = await pollUntil('the UpgradeCompleted Event', async () => {
      const reasons = (await listEvents(admin, ns, { kind: 'HybridCluster' }))
        .filter((e) => /Upgrade/.test(e.reason))
        .flatMap((e) => Array<string>(e.count ?? 1).fill(e.reason))
        .sort();
      return reasons.includes('UpgradeCompleted') ? reasons : undefined;
    });
    expect(upgradeEvents).toEqual(
      [
        'ControlPlaneUpgraded',
        'DataPlaneGroupUpgraded',
        'DataPlaneGroupUpgraded',
        'UpgradeCompleted',
        'UpgradeStarted',
      ].sort(),
    );
    const hc = await get<Hc & { status: Record<string, unknown> }>(hgPath('hybridclusters', 'edge'));
    expect(hc.status['upgrade']).toBeUndefined();
    expect(hc.status['controlPlane']).toMatchObject({ name: 'edge', version: '0.2.0' });

    // Steady state: a fresh operator reconciles everything once and writes nothing.
    const paths = [
      hgPath('hybridclusters'),
      hgPath('controlplanes'),
      hgPath('dataplanes'),
      apps('deployments'),
      apps('statefulsets'),
    ];
    const before = await resourceVersions(admin, paths);
    await op!.stop();
    await startOp();
    for (const c of ['hybridcluster', 'controlplane', 'dataplane'])
      await waitForReconciles(op!.manager, c, 1, 0);
    expect(await resourceVersions(admin, paths)).toEqual(before);
  }, 120_000);
});
