import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { createLogger } from '../../src/shared/logger.js';
import { createOperator, type OperatorOptions } from '../../src/operator/main.js';
import type { Manager } from '../../src/operator/manager/manager.js';
import type { KubeClient } from '../../src/operator/kube/kube-client.js';
import type { KubeObject } from '../../src/api/meta.js';
import { REPO_ROOT } from './binaries.js';
import type { TestEnvironment } from './environment.js';
import { pollUntil } from './poll.js';

/** A running operator under test and how to stop it. */
export interface RunningOperator {
  manager: Manager;
  client: KubeClient;
  stop(opts?: { release?: boolean }): Promise<void>;
}

const logger = createLogger({
  component: 'operator-test',
  level: (process.env['OPERATOR_TEST_LOG'] as never) ?? 'silent',
});

/**
 * Grants the non-admin `operator` identity the ClusterRole from config/rbac/role.yaml (cluster-wide)
 * and the leader-election Role in `leaseNamespaces`, exactly as written there (RBAC is under test).
 */
export async function grantOperatorRbac(env: TestEnvironment, admin: KubeClient): Promise<void> {
  const role = parse(readFileSync(join(REPO_ROOT, 'config/rbac/role.yaml'), 'utf8')) as KubeObject;
  await admin.request({
    method: 'POST',
    path: '/apis/rbac.authorization.k8s.io/v1/clusterroles',
    body: role,
  });
  await admin.request({
    method: 'POST',
    path: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
    body: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'hybridgate-operator-test' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata!.name },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: env.operatorUserName }],
    },
  });
}

/** The leader-election Role of config/rbac bound to the operator identity in one namespace. */
export async function grantLeaseRbac(
  env: TestEnvironment,
  admin: KubeClient,
  namespace: string,
): Promise<void> {
  const role = parse(
    readFileSync(join(REPO_ROOT, 'config/rbac/leader_election_role.yaml'), 'utf8'),
  ) as KubeObject;
  await admin.request({
    method: 'POST',
    path: `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/roles`,
    body: { ...role, metadata: { ...role.metadata, namespace } },
  });
  await admin.request({
    method: 'POST',
    path: `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`,
    body: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'leader-election', namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata!.name },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: env.operatorUserName }],
    },
  });
}

/** Starts the operator as the non-admin identity, watching one namespace. */
export async function startOperator(
  env: TestEnvironment,
  namespace: string,
  opts: Partial<OperatorOptions> = {},
): Promise<RunningOperator> {
  const { manager, client } = createOperator({
    kubeconfig: env.kubeconfigPath,
    context: 'operator',
    namespace,
    caPropagationDelayMs: 0,
    logger: logger.child({ namespace }),
    ...opts,
  });
  await manager.start();
  return {
    manager,
    client,
    stop: async (o) => {
      await manager.stop(o);
      await client.close();
    },
  };
}

/** Total successful reconciles of one controller so far (tests wait for "one more"). */
export async function reconcileCount(m: Manager, controller: string): Promise<number> {
  const metric = await m.metrics.reconcileTotal.get();
  return metric.values
    .filter(
      (v) =>
        v.labels['controller'] === controller &&
        v.labels['result'] !== undefined &&
        v.labels['result'] !== 'error',
    )
    .reduce((n, v) => n + v.value, 0);
}

/** name → resourceVersion of every object of the given list paths (what a write would change). */
export async function resourceVersions(client: KubeClient, paths: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const path of paths) {
    const list = await client.request<{ items: KubeObject[] }>({ method: 'GET', path });
    for (const o of list.items)
      out[`${path.split('/').pop()}/${o.metadata!.name}`] = o.metadata!.resourceVersion!;
  }
  return out;
}

/**
 * Resolves once `controller` has reconciled successfully `n` more times than `from` (by default the
 * count now; pass the count read before a change to wait for the reconciles that change caused).
 */
export async function waitForReconciles(
  m: Manager,
  controller: string,
  n: number,
  from?: number,
): Promise<void> {
  const target = (from ?? (await reconcileCount(m, controller))) + n;
  await pollUntil(`${n} more ${controller} reconciles`, async () =>
    (await reconcileCount(m, controller)) >= target ? true : undefined,
  );
}

let namespaceCounter = 0;

/** Creates a fresh namespace `<prefix>-<pid>-<n>` (each test works in its own). */
export async function createNamespace(admin: KubeClient, prefix: string): Promise<string> {
  const name = `${prefix}-${process.pid}-${++namespaceCounter}`;
  await admin.request({
    method: 'POST',
    path: '/api/v1/namespaces',
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
  });
  return name;
}
