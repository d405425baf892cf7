import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { KubeClient } from '../../src/operator/kube/kube-client.js';
import { resourcePath, RESOURCES } from '../../src/operator/kube/resources.js';
import { BUNDLED_PLUGINS } from '../../src/runtime/config/conf/properties.js';
import { httpRequest } from '../cluster/helpers/http.js';
import type { StartedNode, Workspace } from '../cluster/helpers/hybrid-cluster.js';
import type { TestEnvironment } from './environment.js';
import { startOperator, waitForReconciles, type RunningOperator } from './operator-harness.js';
import { pollUntil } from './poll.js';
import {
  startDataPlaneNode,
  startProtectedControlPlane,
  type ProtectedControlPlane,
} from './protected-control-plane.js';
import { listEvents, waitForEvents } from './support/events.js';
import { dataPlaneOf, sharedControlPlane } from './support/hybridgate-objects.js';
import { startProcessSuite, stopProcessSuite } from './support/operator-suite.js';

// Fleet gauges on the operator's /metrics and Events on the DataPlane, with a real CP (operator-made
// Secrets, token + TLS) and DPs as local processes. The operator's clock is injected (Date.now() plus
// an offset the test moves) so that "a certificate expires within 14 days" needs no 83-day wait, and
// the out-of-sync threshold is 1 s so an episode is reached in a few polls.
const DAY = 86_400_000;
let env: TestEnvironment;
let admin: KubeClient;
let ws: Workspace;
let cp: ProtectedControlPlane;
let ns: string;
let operator: RunningOperator | undefined;
let offset = 0;
const dps = new Map<string, StartedNode>();

const metricsText = async () => (await httpRequest(operator!.manager.healthPort!, 'GET', '/metrics')).body;
// The value of one series, or undefined when it is not exported.
async function metric(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const want = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  const line = (await metricsText()).split('\n').find((l) => l.startsWith(`${name}{${want}}`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}
const nodes = (state: string) =>
  metric('hybridgate_dataplane_nodes', { namespace: ns, dataplane: 'edge', state });
const expirySeconds = (node: string) =>
  metric('hybridgate_dataplane_certificate_expiry_seconds', { namespace: ns, dataplane: 'edge', node });

// The Events of DataPlane edge with `reason`, now or once at least `atLeast` are there.
const ofEdge = (reason: string) => ({ reason, kind: 'DataPlane', name: 'edge' });
const events = (reason: string) => listEvents(admin, ns, ofEdge(reason));
const eventsAtLeast = (reason: string, atLeast = 1) => waitForEvents(admin, ns, ofEdge(reason), atLeast);

const nextPolls = (n: number) => waitForReconciles(operator!.manager, 'fleet-status', n);

const startDp = async (pod: string, extra: Record<string, string> = {}) => {
  dps.set(pod, await startDataPlaneNode(admin, ws, cp, { namespace: ns, dataPlane: 'edge', pod }, extra));
};

beforeAll(async () => {
  ({ env, admin, ws, ns } = await startProcessSuite('fme', [sharedControlPlane(), dataPlaneOf('edge', 3)]));
  operator = await startOperator(env, ns, {
    health: { host: '127.0.0.1', port: 0 },
    now: () => Date.now() + offset,
    fleetStatus: {
      intervals: { fastMs: 100, slowMs: 250 },
      allowAdminUrlOverride: true,
      thresholds: { outOfSyncAfterMs: 1000, certificateExpiryWarningMs: 14 * DAY },
    },
    operatorPeer: null,
  });
  cp = await startProtectedControlPlane(admin, ws, ns, 'cp');
  const lean = BUNDLED_PLUGINS.filter((p) => p !== 'rate-limiting').join(',');
  await Promise.all([startDp('edge-a'), startDp('edge-b'), startDp('edge-c', { HYBRIDGATE_PLUGINS: lean })]);
}, 120_000);

afterAll(() => stopProcessSuite(operator, env, admin), 60_000);

describe('fleet gauges and events', () => {
  it('serves the node counts, certificate expiry per node and CP reachability on /metrics', async () => {
    await pollUntil('3 synced nodes on /metrics', async () =>
      (await nodes('synced')) === 3 ? true : undefined,
    );
    expect(await nodes('connected')).toBe(3);
    expect(await nodes('incompatible')).toBe(0);
    expect(await nodes('total')).toBe(3);
    expect(await metric('hybridgate_controlplane_reachable', { namespace: ns, controlplane: 'cp' })).toBe(1);
    // The operator-made shared certificate lasts spec.certificates.duration (2160h = 90 days).
    const left = (await expirySeconds('edge-a'))!;
    expect(left).toBeGreaterThan(89 * 86_400);
    expect(left).toBeLessThanOrEqual(90 * 86_400);
  }, 60_000);

  it('an incompatible node warns once, out of sync once past the threshold, then Synced once', async () => {
    const plugin = await cp.json<{ id: string }>('POST', '/plugins', {
      name: 'rate-limiting',
      config: { minute: 1000, policy: 'local' },
    });
    const [incompatible] = await eventsAtLeast('DataPlaneIncompatible');
    expect(incompatible!.type).toBe('Warning');
    expect(incompatible!.message).toMatch(/node edge-c is incompatible .*plugin_set_incompatible/);
    const [outOfSync] = await eventsAtLeast('DataPlaneOutOfSync');
    expect(outOfSync!.type).toBe('Warning');
    expect(outOfSync!.message).toMatch(/node edge-c has not run the control plane's config hash/);
    expect(await nodes('incompatible')).toBe(1);
    expect(await nodes('synced')).toBe(2);
    await nextPolls(5);
    expect(await events('DataPlaneIncompatible')).toHaveLength(1);
    expect(await events('DataPlaneOutOfSync')).toHaveLength(1);

    await cp.json('DELETE', `/plugins/${plugin.id}`);
    const [synced] = await eventsAtLeast('DataPlaneSynced');
    expect(synced).toMatchObject({ type: 'Normal' });
    expect(synced!.message).toContain('node edge-c runs');
    await nextPolls(5);
    expect(await events('DataPlaneSynced')).toHaveLength(1);
    expect(await events('DataPlaneOutOfSync')).toHaveLength(1);
    expect(await nodes('synced')).toBe(3);
  }, 60_000);

  it('a certificate within 14 days of expiry warns once per node', async () => {
    const dp = await admin.request<{
      status?: { nodes?: { podName?: string; certificateExpiry?: string }[] };
    }>({
      method: 'GET',
      path: resourcePath(RESOURCES.DataPlane, { namespace: ns, name: 'edge' }),
    });
    const expiry = Date.parse(dp.status!.nodes!.find((n) => n.podName === 'edge-a')!.certificateExpiry!);
    expect(await events('CertificateExpiringSoon')).toHaveLength(0);
    offset = expiry - 7 * DAY - Date.now();
    const warned = await eventsAtLeast('CertificateExpiringSoon', 3);
    expect(warned.map((e) => e.message.split("'")[0]).sort()).toEqual([
      'node edge-a',
      'node edge-b',
      'node edge-c',
    ]);
    expect(warned[0]!.message).toMatch(/expires in 7d/);
    const left = (await expirySeconds('edge-a'))!;
    expect(Math.abs(left - 7 * 86_400)).toBeLessThan(120);
    await nextPolls(5);
    expect(await events('CertificateExpiringSoon')).toHaveLength(3);
  }, 60_000);

  it('series of a node whose pod is gone, then of a deleted DataPlane, are removed', async () => {
    await dps.get('edge-c')!.proc.stop();
    dps.delete('edge-c');
    await admin.request({
      method: 'DELETE',
      path: resourcePath(RESOURCES.Pod, { namespace: ns, name: 'edge-c' }),
    });
    await pollUntil('edge-c gone from /metrics', async () =>
      (await expirySeconds('edge-c')) === undefined && (await nodes('total')) === 2 ? true : undefined,
    );
    expect(await expirySeconds('edge-a')).toBeDefined();
    await admin.request({
      method: 'DELETE',
      path: resourcePath(RESOURCES.DataPlane, { namespace: ns, name: 'edge' }),
    });
    await pollUntil('edge gone from /metrics', async () =>
      (await metricsText()).includes(`dataplane="edge"`) ? undefined : true,
    );
    expect(await metric('hybridgate_controlplane_reachable', { namespace: ns, controlplane: 'cp' })).toBe(1);
  }, 60_000);
});
