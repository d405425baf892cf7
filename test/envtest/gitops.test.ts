import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { stringify } from 'yaml';
import type { Kube, KubeObject } from '../../src/api/meta.js';
import type { ControlPlane } from '../../src/api/v1alpha1/index.js';
import { managedHash } from '../../src/operator/gitops/managed-hash.js';
import type { KubeClient } from '../../src/operator/kube/kube-client.js';
import { resourcePath, RESOURCES } from '../../src/operator/kube/resources.js';
import { httpRequest, startUpstream, type Upstream } from '../cluster/helpers/http.js';
import {
  dataPlaneEnv,
  startHybridgate,
  type StartedNode,
  type Workspace,
} from '../cluster/helpers/hybrid-cluster.js';
import type { TestEnvironment } from './environment.js';
import { startOperator, waitForReconciles, type RunningOperator } from './operator-harness.js';
import { pollUntil } from './poll.js';
import { startProtectedControlPlane, type ProtectedControlPlane } from './protected-control-plane.js';
import { findCondition, type Condition } from './support/conditions.js';
import { listEvents } from './support/events.js';
import { sharedControlPlane } from './support/hybridgate-objects.js';
import { startProcessSuite, stopProcessSuite } from './support/operator-suite.js';

// GitOps end to end: the operator runs as the config/rbac identity (so the configmaps rule is under
// test) and makes the ControlPlane's Secrets; a real CP process runs with them as the rendered pod
// would (admin token, Admin API on TLS only), reached through the test-only URL override; two DPs run
// as processes and proxy to a real upstream. Only the drift period is shortened (test-only override).
const TAG = 'hybridgate-managed';
let env: TestEnvironment;
let admin: KubeClient;
let ws: Workspace;
let cp: ProtectedControlPlane;
let dps: StartedNode[] = [];
let upstream: Upstream;
let ns: string;
let operator: RunningOperator | undefined;

type CpObject = Kube<ControlPlane> & { status?: { conditions?: Condition[] } };

const cpPath = () => resourcePath(RESOURCES.ControlPlane, { namespace: ns, name: 'cp' });
const cmPath = (name?: string) =>
  resourcePath(RESOURCES.ConfigMap, { namespace: ns, ...(name ? { name } : {}) });
const controlPlane = () => admin.request<CpObject>({ method: 'GET', path: cpPath() });
const applied = (o: CpObject) => findCondition(o.status, 'ConfigurationApplied');
const cpAdmin = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) =>
  cp.json<T>(method, path, body);

function gatewayFile(routes: { name: string; paths: string[] }[], extraServices: object[] = []): string {
  return stringify({
    _format_version: '3.0',
    services: [
      { name: 'echo', url: upstream.url, tags: [TAG], routes: routes.map((r) => ({ ...r, tags: [TAG] })) },
      ...extraServices,
    ],
  });
}

async function putConfigMap(data: Record<string, string>): Promise<void> {
  await admin.request({
    method: 'PUT',
    path: cmPath('gateway'),
    body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'gateway', namespace: ns }, data },
  });
}

// Resolves when a GET through every DP's proxy answers from the upstream.
async function proxiedEverywhere(path: string): Promise<void> {
  for (const dp of dps) {
    await pollUntil(`${path} through ${dp.proc.name}`, async () => {
      const res = await httpRequest(dp.port('proxy'), 'GET', path);
      return res.status === 200 && (JSON.parse(res.body) as { upstream?: string }).upstream === 'echo'
        ? true
        : undefined;
    });
  }
}

const eventsWithReason = (reason: string) => listEvents(admin, ns, { reason });

async function appliedWith(predicate: (o: CpObject) => boolean, what: string): Promise<CpObject> {
  return pollUntil(what, async () => {
    const o = await controlPlane();
    return predicate(o) ? o : undefined;
  });
}

beforeAll(async () => {
  // The upstream first: the ConfigMap's gateway file names its URL.
  upstream = await startUpstream('echo');
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'gateway' },
    data: { 'kong.yaml': gatewayFile([{ name: 'echo-route', paths: ['/echo'] }]) },
  };
  ({ env, admin, ws, ns } = await startProcessSuite('gitops', [configMap, sharedControlPlane()]));
  operator = await startOperator(env, ns, {
    gitOps: { allowAdminUrlOverride: true, syncIntervalMsOverride: 300 },
    operatorPeer: null,
  });
  cp = await startProtectedControlPlane(admin, ws, ns, 'cp');
  dps = await Promise.all(
    ['dp-a', 'dp-b'].map((name) =>
      startHybridgate(name, dataPlaneEnv(ws, name, cp.clusterCerts, cp.node.port('cluster'))),
    ),
  );
  // Made through the Admin API before the ConfigMap is referenced: must survive every apply.
  await cpAdmin('POST', '/services', { name: 'hand-made', host: 'hand.internal' });
  await admin.request({
    method: 'PATCH',
    path: cpPath(),
    contentType: 'application/merge-patch+json',
    body: { spec: { declarativeConfig: { configMapRefs: [{ name: 'gateway' }] } } },
  });
}, 120_000);

afterAll(async () => {
  await upstream?.close();
  await stopProcessSuite(operator, env, admin);
}, 60_000);

describe('gateway configuration from ConfigMaps', () => {
  it('applies the ConfigMap to the CP and every DP, leaving the hand-made service alone', async () => {
    const o = await appliedWith((x) => applied(x)?.status === 'True', 'ConfigurationApplied True');
    expect(applied(o)).toMatchObject({
      reason: 'Applied',
      message: `2 entities tagged ${TAG} match 1 file(s)`,
    });
    const status = o.status!.declarativeConfig!;
    expect(status).toMatchObject({ managedTag: TAG, entities: 2, observedConfigMaps: [{ name: 'gateway' }] });
    expect(status.appliedHash).toBe(managedHash(await cpAdmin('GET', `/config?select_tags=${TAG}`)));
    await proxiedEverywhere('/echo');
    expect((await cpAdmin<{ host: string }>('GET', '/services/hand-made')).host).toBe('hand.internal');
    expect((await eventsWithReason('ConfigurationApplied')).length).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('a ConfigMap change reaches the CP and every DP', async () => {
    await putConfigMap({ 'kong.yaml': gatewayFile([{ name: 'echo-route', paths: ['/echo', '/v2'] }]) });
    await proxiedEverywhere('/v2');
    const cpHash = (await cpAdmin<{ config_hash: string }>('GET', '/clustering/config-hash')).config_hash;
    await pollUntil('every DP on the CP hash', async () => {
      const rows = (await cpAdmin<{ data: { config_hash: string }[] }>('GET', '/clustering/data-planes'))
        .data;
      return rows.length === 2 && rows.every((r) => r.config_hash === cpHash) ? true : undefined;
    });
    expect((await cpAdmin<{ host: string }>('GET', '/services/hand-made')).host).toBe('hand.internal');
  }, 60_000);

  it('an invalid ConfigMap changes nothing and says why, with the path in the file', async () => {
    const before = await cpAdmin('GET', '/config');
    await putConfigMap({ 'kong.yaml': gatewayFile([{ name: 'echo-route', paths: ['nope'] }]) });
    const o = await appliedWith((x) => applied(x)?.reason === 'InvalidConfiguration', 'InvalidConfiguration');
    expect(applied(o)!.status).toBe('False');
    expect(applied(o)!.message).toContain(
      'gateway/kong.yaml: services[0].routes[0].paths[0]: should start with',
    );
    expect((await eventsWithReason('InvalidConfiguration')).length).toBe(1);
    // Unparsable YAML: refused by the operator itself, naming the file and line.
    await putConfigMap({ 'kong.yaml': '_format_version: "3.0"\nservices:\n  - name: [oops\n' });
    const parse = await appliedWith(
      (x) => /gateway\/kong\.yaml: .*line \d+/.test(applied(x)?.message ?? ''),
      'parse error',
    );
    expect(applied(parse)!.reason).toBe('InvalidConfiguration');
    expect(await cpAdmin('GET', '/config')).toEqual(before);
    // Fixed again: applied, nothing left to change.
    await putConfigMap({ 'kong.yaml': gatewayFile([{ name: 'echo-route', paths: ['/echo', '/v2'] }]) });
    await appliedWith((x) => applied(x)?.status === 'True', 'ConfigurationApplied True again');
    expect(await cpAdmin('GET', '/config')).toEqual(before);
  }, 60_000);

  it('drift made through the Admin API is reported and repaired; unmanaged entities survive', async () => {
    await putConfigMap({
      'kong.yaml': gatewayFile(
        [{ name: 'echo-route', paths: ['/echo'] }],
        [{ name: 'spare', host: 'spare.internal', tags: [TAG] }],
      ),
    });
    const o = await appliedWith((x) => x.status?.declarativeConfig?.entities === 3, 'three managed entities');
    const hash = o.status!.declarativeConfig!.appliedHash;
    const repaired = (await eventsWithReason('DriftRepaired')).length;
    await cpAdmin('PATCH', '/routes/echo-route', { paths: ['/drifted'] });
    await cpAdmin('DELETE', '/services/spare');
    await cpAdmin('POST', '/services', { name: 'intruder', host: 'i.internal', tags: [TAG] });
    await cpAdmin('POST', '/services', { name: 'bystander', host: 'b.internal', tags: ['other'] });
    // The three changes may land in one drift check or several: each is reported and repaired.
    const detected = await pollUntil('every change reported as drift', async () => {
      const text = (await eventsWithReason('DriftDetected')).map((e) => e.message).join('\n');
      return ['echo-route (updated)', 'spare (created)', 'intruder (deleted)'].every((t) => text.includes(t))
        ? text
        : undefined;
    });
    expect(detected).toContain(`entities tagged ${TAG} were changed through the Admin API`);
    await pollUntil('drift repaired', async () =>
      (await eventsWithReason('DriftRepaired')).length > repaired ? true : undefined,
    );
    await pollUntil('the managed entities as the files say', async () =>
      managedHash(await cpAdmin('GET', `/config?select_tags=${TAG}`)) === hash ? true : undefined,
    );
    const names = (await cpAdmin<{ data: { name: string }[] }>('GET', '/services')).data
      .map((s) => s.name)
      .sort();
    expect(names).toEqual(['bystander', 'echo', 'hand-made', 'spare']);
    await proxiedEverywhere('/echo');
  }, 60_000);

  it('writes no status while nothing changes', async () => {
    const rv = async () =>
      (await admin.request<KubeObject>({ method: 'GET', path: cpPath() })).metadata!.resourceVersion;
    const steady = await pollUntil('a steady ControlPlane', async () => {
      const before = await rv();
      await waitForReconciles(operator!.manager, 'gitops', 3);
      return (await rv()) === before ? before : undefined;
    });
    await waitForReconciles(operator!.manager, 'gitops', 6);
    expect(await rv()).toBe(steady);
  }, 60_000);

  it('without spec.declarativeConfig the GitOps status goes and the managed entities stay', async () => {
    await admin.request({
      method: 'PATCH',
      path: cpPath(),
      contentType: 'application/merge-patch+json',
      body: { spec: { declarativeConfig: null } },
    });
    await appliedWith((x) => !applied(x) && !x.status?.declarativeConfig, 'the GitOps status removed');
    expect((await cpAdmin<{ host: string }>('GET', '/services/echo')).host).toBe('127.0.0.1');
    // Other controllers' status is untouched.
    expect((await controlPlane()).status?.conditions?.some((c) => c.type === 'Ready')).toBe(true);
  }, 60_000);

  it('the CRD refuses a managedTag that is not a Kong tag and a sync interval under 10 s', async () => {
    const create = (declarativeConfig: object) =>
      admin
        .request({
          method: 'POST',
          path: resourcePath(RESOURCES.ControlPlane, { namespace: ns }),
          body: {
            apiVersion: 'hybridgate.dev/v1alpha1',
            kind: 'ControlPlane',
            metadata: { name: 'refused' },
            spec: { version: '0.1.0', declarativeConfig },
          },
        })
        .then(
          () => 'created',
          (err: Error) => err.message,
        );
    expect(await create({ configMapRefs: [{ name: 'gateway' }], managedTag: 'a,b' })).toContain(
      "managedTag must be a Kong tag of printable ASCII characters without spaces, ',' or '/'",
    );
    expect(await create({ configMapRefs: [{ name: 'gateway' }], syncIntervalSeconds: 5 })).toContain(
      'should be greater than or equal to 10',
    );
    expect(await create({ configMapRefs: [{ name: 'gateway' }, { name: 'gateway' }] })).toContain(
      'each ConfigMap (and key) may be referenced only once',
    );
  });
});
