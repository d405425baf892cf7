import { describe, expect, it } from '@jest/globals';
import type { AdminEndpoint } from '../../admin-api/admin-request.js';
import { planAdminToken } from '../../admin-api/admin-token-secret.js';
import { planAdminCertificates } from '../../certificates/admin-certificates.js';
import type { KubeSecret } from '../../certificates/secrets.js';
import { KubeApiError } from '../../errors.js';
import type { KubeClient } from '../../kube/kube-client.js';
import { createLogger } from '../../../shared/logger.js';
import { FleetStatusReconciler, type ClosableAdminClient } from './fleet-status-reconciler.js';

const HASH = 'c'.repeat(32);
const log = createLogger({ component: 'test', level: 'silent' });

// The ControlPlane and its admin Secrets as the ControlPlane reconciler would have written them.
const cp = {
  apiVersion: 'hybridgate.dev/v1alpha1',
  kind: 'ControlPlane',
  metadata: { name: 'cp', namespace: 'ns', uid: 'u-1' },
  spec: { certificates: { mode: 'shared', provider: 'operator', duration: '2160h', renewBefore: '360h' } },
  status: { configHash: HASH, dataPlanes: 0 },
};
const secrets = new Map<string, KubeSecret>(
  [
    ...planAdminCertificates({
      controlPlane: cp as never,
      secrets: new Map(),
      now: Date.now(),
      propagationDelayMs: 0,
    }).apply,
    ...planAdminToken(cp as never, undefined).apply,
  ].map((s) => [s.metadata!.name!, s as KubeSecret]),
);

// A Kubernetes API with one ControlPlane (until `gone`), no DataPlanes and no pods; status writes echo.
function kube(state: { gone: boolean }): KubeClient {
  return {
    request: async ({ method, path }: { method: string; path: string }) => {
      if (method === 'GET' && path.endsWith('/controlplanes/cp')) {
        if (state.gone) throw new KubeApiError('GET', path, 404, { reason: 'NotFound' });
        return cp;
      }
      if (method === 'GET') return { items: [] };
      return cp;
    },
  } as unknown as KubeClient;
}

// Admin clients that record the endpoint they were made for and whether they were closed.
function clients() {
  const made: { endpoint: AdminEndpoint; closed: boolean }[] = [];
  const factory = (endpoint: AdminEndpoint): ClosableAdminClient => {
    const entry = { endpoint, closed: false };
    made.push(entry);
    return {
      dataPlanes: async () => [],
      configHash: async () => HASH,
      forget: async () => undefined,
      close: async () => {
        entry.closed = true;
      },
    };
  };
  return { made, factory };
}

const req = { namespace: 'ns', name: 'cp', key: 'ns/cp' };

describe('FleetStatusReconciler Admin API clients', () => {
  it('one client per endpoint; a changed token replaces and closes it; a gone CP closes it', async () => {
    const state = { gone: false };
    const { made, factory } = clients();
    const current = new Map(secrets);
    const r = new FleetStatusReconciler({
      client: kube(state),
      secrets: { get: (_ns, n) => current.get(n) },
      adminClient: factory,
      now: () => 0,
    });
    const ctx = { log, signal: new AbortController().signal };
    await r.reconcile(req, ctx);
    await r.reconcile(req, ctx);
    expect(made).toHaveLength(1);
    expect(made[0]!.endpoint).toMatchObject({
      url: 'https://cp-admin.ns.svc:8444',
      serverName: 'cp-admin.ns.svc',
    });
    expect(made[0]!.endpoint.token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    current.set('cp-admin-token', planAdminToken(cp as never, undefined).apply[0] as KubeSecret);
    await r.reconcile(req, ctx);
    expect(made).toHaveLength(2);
    expect(made[0]!.closed).toBe(true);
    expect(made[1]!.endpoint.token).not.toBe(made[0]!.endpoint.token);

    state.gone = true;
    await r.reconcile(req, ctx);
    expect(made[1]!.closed).toBe(true);
  });

  it('closes its clients when the run stops (signal aborted)', async () => {
    const { made, factory } = clients();
    const r = new FleetStatusReconciler({
      client: kube({ gone: false }),
      secrets: { get: (_ns, n) => secrets.get(n) },
      adminClient: factory,
      now: () => 0,
    });
    const run = new AbortController();
    await r.reconcile(req, { log, signal: run.signal });
    expect(made[0]!.closed).toBe(false);
    run.abort();
    await Promise.resolve();
    expect(made[0]!.closed).toBe(true);
  });

  it('without the Secrets the CP counts as unreachable and no client is made', async () => {
    const { made, factory } = clients();
    const r = new FleetStatusReconciler({
      client: kube({ gone: false }),
      secrets: { get: () => undefined },
      adminClient: factory,
      now: () => 0,
    });
    const res = await r.reconcile(req, { log, signal: new AbortController().signal });
    expect(made).toHaveLength(0);
    expect(res).toEqual({ requeueAfterMs: expect.any(Number) });
  });
});
