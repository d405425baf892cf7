import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Kube, KubeObject } from '../../src/api/meta.js';
import type { DataPlane } from '../../src/api/v1alpha1/index.js';
import type { KubeClient } from '../../src/operator/kube/kube-client.js';
import { resourcePath, RESOURCES } from '../../src/operator/kube/resources.js';
import type { Manager } from '../../src/operator/manager/manager.js';
import { POD_NODE_LABEL } from '../../src/operator/status/fleet-status.js';
import { BUNDLED_PLUGINS } from '../../src/runtime/config/conf/properties.js';
import type { StartedNode, Workspace } from '../cluster/helpers/hybrid-cluster.js';
import type { TestEnvironment } from './environment.js';
import { kubectl } from './kubectl.js';
import { startOperator, waitForReconciles, type RunningOperator } from './operator-harness.js';
import { pollUntil } from './poll.js';
import {
  startDataPlaneNode,
  startProtectedControlPlane,
  type ProtectedControlPlane,
} from './protected-control-plane.js';
import { findCondition as cond, type Condition } from './support/conditions.js';
import { dataPlaneOf, sharedControlPlane } from './support/hybridgate-objects.js';
import { startProcessSuite, stopProcessSuite } from './support/operator-suite.js';

// The operator (config/rbac identity, fleet status on short intervals) makes the ControlPlane's
// Secrets; a real CP process runs with them as the rendered pod would (admin_auth = token, the Admin
// API on TLS only), reached through the test-only URL override and verified against the Service name.
// DPs run as local processes with the operator-made shared certificate; Pod objects stand in for their
// pods (no kubelet).
let env: TestEnvironment;
let admin: KubeClient;
let ws: Workspace;
let cp: ProtectedControlPlane;
let ns: string;
const dps = new Map<string, StartedNode>();
let operator: RunningOperator | undefined;
let manager: Manager | undefined;

type Row = { id: string; labels: Record<string, string> };
type DpStatus = {
  nodes?: { podName?: string; nodeId: string; syncStatus: string }[];
  syncedSummary?: string;
  configHash?: string;
  configHashShort?: string;
  counts?: Record<string, number>;
  conditions?: Condition[];
};

const dpPath = () => resourcePath(RESOURCES.DataPlane, { namespace: ns, name: 'edge' });
const cpPath = () => resourcePath(RESOURCES.ControlPlane, { namespace: ns, name: 'cp' });
const dataPlane = () =>
  admin.request<Kube<DataPlane> & { status?: DpStatus }>({ method: 'GET', path: dpPath() });
const cpHash = async () =>
  (await cp.json<{ config_hash: string }>('GET', '/clustering/config-hash')).config_hash;
const cpRows = async () => (await cp.json<{ data: Row[] }>('GET', '/clustering/data-planes?size=1000')).data;

async function startDp(pod: string, extra: Record<string, string> = {}): Promise<StartedNode> {
  const dp = await startDataPlaneNode(admin, ws, cp, { namespace: ns, dataPlane: 'edge', pod }, extra);
  dps.set(pod, dp);
  return dp;
}

// Resolves once the fleet-status controller has polled `n` more times.
const nextPolls = (n: number) => waitForReconciles(manager!, 'fleet-status', n);

beforeAll(async () => {
  ({ env, admin, ws, ns } = await startProcessSuite('fleet', [sharedControlPlane(), dataPlaneOf('edge', 2)]));
  operator = await startOperator(env, ns, {
    fleetStatus: { intervals: { fastMs: 100, slowMs: 250 }, allowAdminUrlOverride: true },
    operatorPeer: null,
  });
  manager = operator.manager;
  cp = await startProtectedControlPlane(admin, ws, ns, 'cp');
}, 120_000);

afterAll(() => stopProcessSuite(operator, env, admin), 60_000);

describe('fleet status from the control plane', () => {
  it('DPs appear in DataPlane.status, Synced n/m and the hash fill kubectl get, the CP status has the hash', async () => {
    await Promise.all([startDp('edge-a'), startDp('edge-b')]);
    const hash = await cpHash();
    const dp = await pollUntil('both nodes synced in DataPlane.status', async () => {
      const d = await dataPlane();
      return d.status?.syncedSummary === '2/2' && cond(d.status, 'Synced')?.status === 'True' ? d : undefined;
    });
    const s = dp.status!;
    expect(s.nodes!.map((n) => n.podName)).toEqual(['edge-a', 'edge-b']);
    expect(s.configHash).toBe(hash);
    expect(s.configHashShort).toBe(hash.slice(0, 8));
    expect(s.counts).toEqual({ connected: 2, synced: 2, incompatible: 0, total: 2 });
    expect(cond(s, 'Synced')!.message).toBe("2/2 data planes run the control plane's current config hash");
    expect(cond(s, 'Compatible')).toMatchObject({ status: 'True', reason: 'AllCompatible' });
    // The same poll writes the ControlPlane right after the DataPlanes.
    await pollUntil('the CP status with the hash and 2 data planes', async () => {
      const o = await admin.request<{ status?: { configHash?: string; dataPlanes?: number } }>({
        method: 'GET',
        path: cpPath(),
      });
      return o.status?.configHash === hash && o.status.dataPlanes === 2 ? true : undefined;
    });

    const out = await kubectl(env, ['get', 'dataplanes', '-n', ns]);
    expect(out.code).toBe(0);
    const [head, line] = out.stdout.trim().split('\n');
    expect(head).toMatch(/SYNCED\s+VERSION\s+CONFIG HASH/);
    expect(line).toMatch(new RegExp(`^edge\\s.*\\s2/2\\s+0\\.1\\.0\\s+${hash.slice(0, 8)}\\s`));
    const waited = await kubectl(env, [
      'wait',
      '-n',
      ns,
      '--for=condition=Synced',
      'dataplane/edge',
      '--timeout=5s',
    ]);
    expect(waited.code).toBe(0);
  }, 60_000);

  it('writes no status while nothing changes', async () => {
    // Two polls in a row with the same resourceVersions: steady. Then several more must not write.
    const versions = async () =>
      (await Promise.all([dataPlane(), admin.request<KubeObject>({ method: 'GET', path: cpPath() })])).map(
        (o) => o.metadata!.resourceVersion,
      );
    const before = await pollUntil('a steady fleet', async () => {
      const v = await versions();
      await nextPolls(2);
      return JSON.stringify(await versions()) === JSON.stringify(v) ? v : undefined;
    });
    await nextPolls(5);
    expect(await versions()).toEqual(before);
  }, 30_000);

  it('a DP lacking a configured plugin: Synced False and Compatible False naming it, both True after', async () => {
    const lean = BUNDLED_PLUGINS.filter((p) => p !== 'rate-limiting').join(',');
    await startDp('edge-c', { HYBRIDGATE_PLUGINS: lean });
    await pollUntil('three synced nodes', async () =>
      (await dataPlane()).status?.syncedSummary === '3/3' ? true : undefined,
    );
    const plugin = await cp.json<{ id: string }>('POST', '/plugins', {
      name: 'rate-limiting',
      config: { minute: 1000, policy: 'local' },
    });
    const stale = await pollUntil('edge-c incompatible and out of sync', async () => {
      const s = (await dataPlane()).status;
      return cond(s, 'Compatible')?.status === 'False' && s?.syncedSummary === '2/3' ? s : undefined;
    });
    expect(cond(stale, 'Synced')).toMatchObject({ status: 'False', reason: 'OutOfSync' });
    expect(cond(stale, 'Synced')!.message).toContain(
      "2/3 data planes run the control plane's current config hash",
    );
    expect(cond(stale, 'Synced')!.message).toContain('edge-c');
    expect(cond(stale, 'Compatible')!.reason).toBe('PluginSetIncompatible');
    expect(cond(stale, 'Compatible')!.message).toContain('edge-c (plugin_set_incompatible)');
    expect(stale.counts).toMatchObject({ incompatible: 1, synced: 2, total: 3 });
    expect(stale.configHash).toBe(await cpHash());

    await cp.json('DELETE', `/plugins/${plugin.id}`);
    const healed = await pollUntil('all synced and compatible again', async () => {
      const s = (await dataPlane()).status;
      return cond(s, 'Synced')?.status === 'True' && cond(s, 'Compatible')?.status === 'True' ? s : undefined;
    });
    expect(healed.syncedSummary).toBe('3/3');
  }, 60_000);

  it('a stopped DP whose pod is gone leaves the status and the CP list', async () => {
    const id = (await cpRows()).find((r) => r.labels[POD_NODE_LABEL] === 'edge-c')!.id;
    await dps.get('edge-c')!.proc.stop();
    dps.delete('edge-c');
    await admin.request({
      method: 'DELETE',
      path: resourcePath(RESOURCES.Pod, { namespace: ns, name: 'edge-c' }),
    });
    const s = await pollUntil('edge-c gone from the status', async () => {
      const st = (await dataPlane()).status;
      return st?.nodes?.length === 2 ? st : undefined;
    });
    expect(s.nodes!.map((n) => n.podName)).toEqual(['edge-a', 'edge-b']);
    expect(s.syncedSummary).toBe('2/2');
    await pollUntil('the CP forgot edge-c', async () =>
      (await cpRows()).some((r) => r.id === id) ? undefined : true,
    );
  }, 60_000);

  it('an unreachable CP turns the conditions Unknown, never False, and keeps the nodes', async () => {
    await Promise.all([...dps.values()].map((d) => d.proc.stop()));
    dps.clear();
    await cp.node.proc.stop();
    const s = await pollUntil('conditions Unknown', async () => {
      const st = (await dataPlane()).status;
      return cond(st, 'Synced')?.status === 'Unknown' ? st : undefined;
    });
    expect(cond(s, 'Synced')!.reason).toBe('ControlPlaneUnreachable');
    expect(cond(s, 'Compatible')).toMatchObject({ status: 'Unknown', reason: 'ControlPlaneUnreachable' });
    expect(s.nodes!.length).toBe(2);
  }, 30_000);
});
