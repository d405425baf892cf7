import { KubeClient } from '../../../src/operator/kube/kube-client.js';
import { removeWorkspaces } from '../../cluster/helpers/hybrid-cluster.js';
import { stopAllNodes } from '../../cluster/helpers/node-process.js';
import { startEnvironment, type EnvironmentOptions, type TestEnvironment } from '../environment.js';
import { grantOperatorRbac, type RunningOperator } from '../operator-harness.js';

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

/** Closes what startOperatorSuite made; either may be missing when the start itself failed. */
export async function stopOperatorSuite(
  env: TestEnvironment | undefined,
  admin: KubeClient | undefined,
): Promise<void> {
  await admin?.close();
  await env?.stop();
}

/**
 * Stops the operator first (so it stops polling the processes), then every local CP/DP process and
 * their workspaces: the teardown of the suites that run real Hybridgate processes.
 */
export async function stopOperatorAndNodes(operator: RunningOperator | undefined): Promise<void> {
  await operator?.stop();
  await stopAllNodes();
  removeWorkspaces();
}
