import { KubeClient } from '../../../src/operator/kube/kube-client.js';
import { removeWorkspaces, Workspace } from '../../cluster/helpers/hybrid-cluster.js';
import { stopAllNodes } from '../../cluster/helpers/node-process.js';
import { startEnvironment, type EnvironmentOptions, type TestEnvironment } from '../environment.js';
import { createNamespace, grantOperatorRbac, type RunningOperator } from '../operator-harness.js';
import { createObjects } from './hybridgate-objects.js';

/** What every operator suite starts once per file: the apiserver environment and an admin client. */
export interface OperatorSuite {
  env: TestEnvironment;
  admin: KubeClient;
}

/**
 * Starts the environment, connects as admin and grants the operator identity config/rbac (the suites
 * run the operator as that non-admin identity, so its RBAC is under test everywhere).
 */
export async function startOperatorSuite(opts: EnvironmentOptions = {}): Promise<OperatorSuite> {
  const env = await startEnvironment(opts);
  const admin = KubeClient.fromKubeConfig(env.kubeConfig('admin'));
  await grantOperatorRbac(env, admin);
  return { env, admin };
}

/** An operator suite that runs real Hybridgate processes: their workspace and the suite's namespace. */
export interface ProcessSuite extends OperatorSuite {
  ws: Workspace;
  ns: string;
}

/**
 * startOperatorSuite without kube-controller-manager (no suite here needs it), a workspace for the
 * CP/DP processes, and a fresh namespace `<prefix>-…` holding `objects` (created in order).
 */
export async function startProcessSuite(
  prefix: string,
  objects: { apiVersion: string; kind: string }[],
): Promise<ProcessSuite> {
  const suite = await startOperatorSuite({ controllerManager: false });
  const ws = new Workspace();
  const ns = await createNamespace(suite.admin, prefix);
  await createObjects(suite.admin, ns, objects);
  return { ...suite, ws, ns };
}

/** Closes what startOperatorSuite made; either may be missing when the start itself failed. */
export async function stopOperatorSuite(
  env: TestEnvironment | undefined,
  admin: KubeClient | undefined,
): Promise<void> {
  await admin?.close();
  await env?.stop();
}

/**
 * The teardown of a process suite: the operator first (so it stops polling the processes), then every
 * local CP/DP process and their workspaces, then what startOperatorSuite made.
 */
export async function stopProcessSuite(
  operator: RunningOperator | undefined,
  env: TestEnvironment | undefined,
  admin: KubeClient | undefined,
): Promise<void> {
  await operator?.stop();
  await stopAllNodes();
  removeWorkspaces();
  await stopOperatorSuite(env, admin);
}
