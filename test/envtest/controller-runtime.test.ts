import { describe, it, expect, beforeAll, afterAll, afterEach } from '@jest/globals';
import { request } from 'undici';
import { createLogger } from '../../src/shared/logger.js';
import { KubeClient } from '../../src/operator/kube/kube-client.js';
import { applyObject } from '../../src/operator/kube/apply.js';
import { writeStatus } from '../../src/operator/kube/status.js';
import { RESOURCES } from '../../src/operator/kube/resources.js';
import { Manager } from '../../src/operator/manager/manager.js';
import { ManualClock } from '../../src/operator/manager/clock.js';
import type { ReconcileRequest } from '../../src/operator/manager/reconcile.js';
import type { KubeObject } from '../../src/api/meta.js';
import { startEnvironment, type TestEnvironment } from './environment.js';
import { pollUntil } from './poll.js';

let env: TestEnvironment;
let client: KubeClient;
let nsCounter = 0;
const managers: Manager[] = [];
const logger = createLogger({ component: 'operator-test', level: 'silent' });

beforeAll(async () => {
  env = await startEnvironment({ controllerManager: false });
  client = KubeClient.fromKubeConfig(env.kubeConfig('admin'));
}, 180_000);

afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.stop()));
});

afterAll(async () => {
  await client?.close();
  await env?.stop();
});

async function namespace(): Promise<string> {
  const name = `rt-${process.pid}-${++nsCounter}`;
  await client.request({
    method: 'POST',
    path: '/api/v1/namespaces',
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
  });
  return name;
}

const dataPlane = (ns: string, name: string, replicas = 1): KubeObject => ({
  apiVersion: 'hybridgate.dev/v1alpha1',
  kind: 'DataPlane',
  metadata: { name, namespace: ns },
  spec: { version: '0.1.0', replicas, controlPlaneRef: { name: 'cp' } },
});

describe('server-side apply', () => {
  it('reports created, then unchanged without a write, then updated', async () => {
    const ns = await namespace();
    const cm = (data: Record<string, string>): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: ns },
      data,
    });
    const first = await applyObject(client, cm({ a: '1' }));
    expect(first.outcome).toBe('created');
    const rv = first.object.metadata?.resourceVersion;
    const second = await applyObject(client, cm({ a: '1' }));
    expect(second.outcome).toBe('unchanged');
    expect(second.object.metadata?.resourceVersion).toBe(rv);
    const third = await applyObject(client, cm({ a: '2' }), { current: second.object });
    expect(third.outcome).toBe('updated');
    expect(third.object.metadata?.managedFields).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ manager: 'hybridgate-operator', operation: 'Apply' }),
      ]),
    );
  });

  it('leaves fields another manager owns alone (replicas scaled by an HPA)', async () => {
    const ns = await namespace();
    const desired = { ...dataPlane(ns, 'dp'), spec: { version: '0.1.0', controlPlaneRef: { name: 'cp' } } };
    await applyObject(client, desired);
    await client.request({
      method: 'PATCH',
      path: `/apis/hybridgate.dev/v1alpha1/namespaces/${ns}/dataplanes/dp/scale`,
      body: { spec: { replicas: 4 } },
      contentType: 'application/merge-patch+json',
      query: { fieldManager: 'hpa' },
    });
    const again = await applyObject(client, desired);
    expect(again.outcome).toBe('unchanged');
    expect((again.object['spec'] as unknown as { replicas: number }).replicas).toBe(4);
  });

  it('writes status through the subresource only when it changed', async () => {
    const ns = await namespace();
    const { object } = await applyObject(client, dataPlane(ns, 'dp'));
    const status = { observedGeneration: 1, replicas: 0, syncedSummary: '0/0' };
    const w1 = await writeStatus(client, object, status);
    expect(w1.outcome).toBe('updated');
    const w2 = await writeStatus(client, w1.object, status);
    expect(w2.outcome).toBe('unchanged');
    expect(w2.object.metadata?.resourceVersion).toBe(w1.object.metadata?.resourceVersion);
    // The spec was not touched by the status write (generation unchanged).
    expect(w1.object.metadata?.generation).toBe(object.metadata?.generation);
  });
});

describe('manager', () => {
  it('reconciles a key once per burst, maps owned-object events to the owner, serves metrics and probes', async () => {
    const ns = await namespace();
    const seen: string[] = [];
    const mgr = new Manager({ client, logger, namespace: ns, healthPort: 0 });
    managers.push(mgr);
    mgr.addController({
      name: 'dataplane',
      primary: RESOURCES.DataPlane,
      owns: [RESOURCES.ConfigMap],
      reconciler: { reconcile: async (req: ReconcileRequest) => void seen.push(req.key) },
    });
    const base = () => `http://127.0.0.1:${mgr.healthPort}`;
    const startP = mgr.start();
    await startP;
    const readyz = await request(`${base()}/readyz`);
    expect(readyz.statusCode).toBe(200);
    await readyz.body.text();

    const { object: dp } = await applyObject(client, dataPlane(ns, 'owner'));
    await pollUntil('reconcile of the new DataPlane', () =>
      seen.includes(`${ns}/owner`) ? true : undefined,
    );
    const before = seen.length;
    // A ConfigMap controlled by the DataPlane: its events requeue the owner.
    await applyObject(client, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'child',
        namespace: ns,
        ownerReferences: [
          {
            apiVersion: 'hybridgate.dev/v1alpha1',
            kind: 'DataPlane',
            name: 'owner',
            uid: dp.metadata!.uid!,
            controller: true,
          },
        ],
      },
      data: { a: '1' },
    });
    await pollUntil('owner requeued by the owned ConfigMap', () => (seen.length > before ? true : undefined));
    expect(seen.slice(before).every((k) => k === `${ns}/owner`)).toBe(true);
    // A ConfigMap without an owner reference queues nothing.
    const n = seen.length;
    await applyObject(client, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'orphan', namespace: ns },
      data: {},
    });
    await applyObject(client, dataPlane(ns, 'marker'));
    await pollUntil('marker reconciled', () => (seen.includes(`${ns}/marker`) ? true : undefined));
    expect(seen.slice(n).filter((k) => k !== `${ns}/marker`)).toEqual([]);

    const metrics = await (await request(`${base()}/metrics`)).body.text();
    expect(metrics).toMatch(
      /controller_runtime_reconcile_total\{controller="dataplane",result="success"\} [1-9]/,
    );
    expect(metrics).toContain('workqueue_adds_total{name="dataplane"}');
    expect(metrics).toContain('controller_runtime_reconcile_time_seconds_bucket');
    const healthz = await request(`${base()}/healthz`);
    expect(healthz.statusCode).toBe(200);
    await healthz.body.text();
  });

  it('retries failed reconciles with backoff and stops on a terminal error', async () => {
    const ns = await namespace();
    const { TerminalError } = await import('../../src/operator/errors.js');
    const attempts = new Map<string, number>();
    const mgr = new Manager({ client, logger, namespace: ns });
    managers.push(mgr);
    mgr.addController({
      name: 'flaky',
      primary: RESOURCES.DataPlane,
      reconciler: {
        reconcile: async (req) => {
          const n = (attempts.get(req.name) ?? 0) + 1;
          attempts.set(req.name, n);
          if (req.name === 'terminal') throw new TerminalError('spec cannot work');
          if (n < 4) throw new Error('transient');
        },
      },
    });
    await mgr.start();
    await applyObject(client, dataPlane(ns, 'flaky'));
    await applyObject(client, dataPlane(ns, 'terminal'));
    await pollUntil('4 attempts (3 failures, backoff 5+10+20 ms)', () =>
      (attempts.get('flaky') ?? 0) >= 4 ? true : undefined,
    );
    const metrics = await mgr.metrics.registry.getSingleMetricAsString(
      'controller_runtime_reconcile_errors_total',
    );
    expect(metrics).toContain('controller="flaky"} 4');
    // The terminal key was tried once and not requeued, while the flaky one went through its retries.
    expect(attempts.get('terminal')).toBe(1);
    const retries = await mgr.metrics.registry.getSingleMetricAsString('workqueue_retries_total');
    expect(retries).toContain('name="flaky"} 3');
  });

  it('elects one leader among two managers; the other takes over after release or expiry', async () => {
    const ns = await namespace();
    const clock = new ManualClock(Date.now());
    const make = (identity: string) => {
      const reconciled: string[] = [];
      const mgr = new Manager({
        client,
        logger,
        namespace: ns,
        leaderElection: { namespace: ns, name: 'hybridgate-operator', identity, clock },
      });
      mgr.addController({
        name: `c-${identity}`,
        primary: RESOURCES.DataPlane,
        reconciler: { reconcile: async (r) => void reconciled.push(r.key) },
      });
      managers.push(mgr);
      return { mgr, reconciled };
    };
    const a = make('a');
    await a.mgr.start();
    await pollUntil('a leads', () => (a.mgr.isLeader ? true : undefined));
    const b = make('b');
    await b.mgr.start();
    await pollUntil('b campaigning (asleep on the clock)', () => (clock.waiting >= 2 ? true : undefined));
    expect(b.mgr.isLeader).toBe(false);
    await applyObject(client, dataPlane(ns, 'x'));
    await pollUntil('the leader reconciles', () => (a.reconciled.length > 0 ? true : undefined));
    expect(b.reconciled).toEqual([]);
    const lease = await client.request<{ spec: { holderIdentity: string; leaseDurationSeconds: number } }>({
      method: 'GET',
      path: `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/hybridgate-operator`,
    });
    expect(lease.spec).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 15 });

    // a crashes (no release): b must wait a full lease duration (15 s of clock time) from when it saw
    // the last renewal.
    await a.mgr.stop({ release: false });
    for (let t = 0; t < 12_000; t += 2000) {
      await pollUntil('b asleep', () => (clock.waiting >= 1 ? true : undefined));
      clock.advance(2000);
    }
    // b has finished its attempt at 12 s (it is asleep again) and still does not lead.
    await pollUntil('b asleep', () => (clock.waiting >= 1 ? true : undefined));
    expect(b.mgr.isLeader).toBe(false);
    for (let i = 0; i < 3 && !b.mgr.isLeader; i++) {
      await pollUntil('b asleep', () => (clock.waiting >= 1 || b.mgr.isLeader ? true : undefined));
      clock.advance(2000);
      await new Promise((r) => setImmediate(r));
    }
    await pollUntil('b leads after the lease expired', () => (b.mgr.isLeader ? true : undefined));
    await applyObject(client, dataPlane(ns, 'y'));
    await pollUntil('the new leader reconciles', () => (b.reconciled.includes(`${ns}/y`) ? true : undefined));

    // b stops cleanly and releases; a fresh candidate c takes over on its first try.
    await b.mgr.stop();
    const released = await client.request<{ spec: { holderIdentity?: string } }>({
      method: 'GET',
      path: `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/hybridgate-operator`,
    });
    expect(released.spec.holderIdentity ?? '').toBe('');
    const c = make('c');
    await c.mgr.start();
    await pollUntil('c leads at once after the release', () => (c.mgr.isLeader ? true : undefined));
  });
});
