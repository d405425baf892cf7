import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request as httpRequest } from 'node:http';
import { Writable } from 'node:stream';
import type { KubeObject } from '../../src/api/meta.js';
import type { ControlPlane } from '../../src/api/v1alpha1/index.js';
import { renderControlPlane } from '../../src/operator/controllers/controlplane/render.js';
import type { KubeClient } from '../../src/operator/kube/kube-client.js';
import { resourcePath, RESOURCES } from '../../src/operator/kube/resources.js';
import { createLogger } from '../../src/shared/logger.js';
import type { Workspace } from '../cluster/helpers/hybrid-cluster.js';
import type { TestEnvironment } from './environment.js';
import {
  reconcileCount,
  startOperator,
  waitForReconciles,
  type RunningOperator,
} from './operator-harness.js';
import { pollUntil } from './poll.js';
import { startProtectedControlPlane, type ProtectedControlPlane } from './protected-control-plane.js';
import { sharedControlPlane } from './support/hybridgate-objects.js';
import { startProcessSuite, stopProcessSuite } from './support/operator-suite.js';

// The operator (config/rbac identity) protects a ControlPlane's Admin API: a token Secret made once,
// a TLS certificate from a per-CP admin CA, a workload configured for both, and a NetworkPolicy. A real
// CP process runs with the operator-made Secrets as the rendered pod would. There is no CNI here: the
// apiserver stores and validates the NetworkPolicy, but nothing enforces it, so this suite checks the
// object, not the traffic it would block.
let env: TestEnvironment;
let admin: KubeClient;
let ws: Workspace;
let ns: string;
let cp: ProtectedControlPlane;
let operator: RunningOperator | undefined;
// Every line the operator logs (debug and up), to prove the token never appears in them.
const logLines: string[] = [];
const logSink = new Writable({
  write(chunk: Buffer, _enc, done) {
    logLines.push(chunk.toString());
    done();
  },
});
const PEER = { namespace: 'hybridgate-system', podLabels: { 'app.kubernetes.io/component': 'operator' } };

type Secret = KubeObject & { data?: Record<string, string> };
const get = <T = KubeObject>(path: string) => admin.request<T>({ method: 'GET', path });
const secret = (name: string) => get<Secret>(resourcePath(RESOURCES.Secret, { namespace: ns, name }));
const cpPath = () => resourcePath(RESOURCES.ControlPlane, { namespace: ns, name: 'cp' });

async function runOperator(): Promise<RunningOperator> {
  operator = await startOperator(env, ns, {
    logger: createLogger({ component: 'operator', level: 'debug', destination: logSink }),
    fleetStatus: { intervals: { fastMs: 100, slowMs: 250 }, allowAdminUrlOverride: true },
    operatorPeer: PEER,
  });
  return operator;
}

beforeAll(async () => {
  ({ env, admin, ws, ns } = await startProcessSuite('adm', [sharedControlPlane()]));
  await runOperator();
  cp = await startProtectedControlPlane(admin, ws, ns, 'cp');
}, 120_000);

afterAll(() => stopProcessSuite(operator, env, admin), 60_000);

describe('the operator protects the Admin API of each ControlPlane', () => {
  it('makes a 32-byte token, a TLS certificate for the Service names, and never mounts the admin CA', async () => {
    expect(cp.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const tokenSecret = await secret('cp-admin-token');
    expect(tokenSecret.metadata!.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'ControlPlane', name: 'cp', controller: true }),
    ]);
    const sts = await get<{ spec: { template: { spec: Record<string, unknown> } } }>(
      resourcePath(RESOURCES.StatefulSet, { namespace: ns, name: 'cp' }),
    );
    const pod = JSON.stringify(sts.spec.template.spec);
    expect(pod).toContain('"secretName":"cp-admin-tls"');
    expect(pod).toContain('"secretName":"cp-admin-token"');
    expect(pod).not.toContain('cp-admin-ca');
    const env = (sts.spec.template.spec['containers'] as { env: { name: string; value?: string }[] }[])[0]!
      .env;
    const value = (n: string) => env.find((e) => e.name === n)?.value;
    expect(value('HYBRIDGATE_ADMIN_LISTEN')).toBe('0.0.0.0:8444 ssl');
    expect(value('HYBRIDGATE_ADMIN_AUTH')).toBe('token');
    expect(value('HYBRIDGATE_ADMIN_AUTH_TOKENS_FILE')).toBe('/etc/hybridgate/admin-token/token');
    expect(value('HYBRIDGATE_STATUS_LISTEN')).toBe('0.0.0.0:8100');
    const svc = await get<{ spec: { ports: { port: number }[] } }>(
      resourcePath(RESOURCES.Service, { namespace: ns, name: 'cp-admin' }),
    );
    expect(svc.spec.ports.map((p) => p.port)).toEqual([8444]);
    const status = await pollUntil('status.endpoints.admin', async () => {
      const o = await get<{ status?: { endpoints?: { admin?: string } } }>(cpPath());
      return o.status?.endpoints?.admin;
    });
    expect(status).toBe(`https://cp-admin.${ns}.svc:8444`);
  });

  it('the CP refuses calls without the right token (401, Kong body) and serves the token over verified TLS', async () => {
    const none = await cp.call('GET', '/', { token: null });
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body)).toEqual({ message: 'Unauthorized' });
    expect((await cp.call('GET', '/services', { token: 'x'.repeat(43) })).status).toBe(401);
    const ok = await cp.call('GET', '/services');
    expect(ok.status).toBe(200);
    // The Admin API port speaks TLS only: a plain HTTP request gets no HTTP answer.
    const plain = await new Promise<string>((resolve) => {
      const req = httpRequest(
        { host: '127.0.0.1', port: cp.port, path: '/', agent: false, timeout: 5000 },
        (res) => resolve(`answered ${res.statusCode}`),
      );
      req.on('error', (e) => resolve(`error ${e.message}`));
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.end();
    });
    expect(plain).not.toBe('answered 200');
  });

  it('the operator authenticates: its fleet poll writes the CP hash and reports the CP reachable', async () => {
    const hash = (await cp.json<{ config_hash: string }>('GET', '/clustering/config-hash')).config_hash;
    await pollUntil('ControlPlane.status.configHash from the fleet poll', async () => {
      const o = await get<{ status?: { configHash?: string } }>(cpPath());
      return o.status?.configHash === hash ? true : undefined;
    });
  });

  it('the NetworkPolicy the apiserver holds is the rendered one', async () => {
    const stored = await get<KubeObject & { spec: unknown }>(
      resourcePath(RESOURCES.NetworkPolicy, { namespace: ns, name: 'cp-admin' }),
    );
    const cpObj = await get<ControlPlane>(cpPath());
    const rendered = renderControlPlane(cpObj, { operator: PEER }).find(
      (o) => o.kind === 'NetworkPolicy',
    ) as {
      spec: unknown;
    };
    expect(stored.spec).toEqual(rendered.spec);
    expect(JSON.stringify(stored.spec)).toContain('"hybridgate.dev/admin-access":"true"');
  });

  it('keeps the token across reconciles and an operator restart, and never logs it', async () => {
    const before = await secret('cp-admin-token');
    await operator!.stop();
    operator = undefined;
    const op = await runOperator();
    await waitForReconciles(op.manager, 'controlplane', 1, 0);
    // And one more after a spec change (the ControlPlane reconciled again, Secrets re-planned).
    const count = await reconcileCount(op.manager, 'controlplane');
    await admin.request({
      method: 'PATCH',
      path: cpPath(),
      contentType: 'application/merge-patch+json',
      body: { metadata: { labels: { touched: 'yes' } } },
    });
    await waitForReconciles(op.manager, 'controlplane', 1, count);
    const after = await secret('cp-admin-token');
    expect(after.data).toEqual(before.data);
    expect(after.metadata!.resourceVersion).toBe(before.metadata!.resourceVersion);

    const text = logLines.join('');
    expect(text).toContain('cp-admin-token'); // the operator did log about the Secret...
    expect(text).not.toContain(cp.token); // ...but never its content, nor in base64
    expect(text).not.toContain(Buffer.from(cp.token).toString('base64'));
  });
});
