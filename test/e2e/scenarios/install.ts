import { join } from 'node:path';
import type { E2ECluster } from '../cluster/e2e-cluster.js';
import { waitFor, NotYet } from '../support/wait.js';
import { OPERATOR_NAMESPACE, RELEASE, REPO_ROOT } from './context.js';

/** Chart objects carry the release's instance label. */
const RELEASE_SELECTOR = `app.kubernetes.io/instance=${RELEASE}`;
/** Everything the operator makes carries this label. */
const OPERATOR_MADE = 'app.kubernetes.io/managed-by=hybridgate-operator';
const WORKLOAD_KINDS =
  'deployments,statefulsets,replicasets,services,secrets,configmaps,pods,serviceaccounts,poddisruptionbudgets';
// PVCs of a StatefulSet outlive it by design (Kubernetes keeps data); only the namespace removes them.
const KINDS = `${WORKLOAD_KINDS},persistentvolumeclaims`;

/**
 * How long the operator waits for kubelet to deliver rotated Secrets before the next CA-rotation step.
 * The local node writes Secret changes to the pods at once; kind's kubelet takes up to about a minute.
 */
export const CA_PROPAGATION_SECONDS = process.env['HG_E2E_CLUSTER'] === 'kind' ? 90 : 5;

/**
 * Scenario 1: `helm install` the chart from charts/hybridgate with the cluster's image values (the
 * operator runs as a pod from the chart, with its ServiceAccount and RBAC), then wait until the
 * operator's Deployment is Available.
 */
export async function installChart(cluster: E2ECluster): Promise<void> {
  const sets = Object.entries({
    ...cluster.imageValues,
    caPropagationDelaySeconds: String(CA_PROPAGATION_SECONDS),
  }).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
  await cluster.helm(
    [
      'install',
      RELEASE,
      join(REPO_ROOT, 'charts/hybridgate'),
      '--namespace',
      OPERATOR_NAMESPACE,
      '--create-namespace',
      ...sets,
    ],
    { timeoutMs: 120_000 },
  );
  await cluster.kubectl(
    [
      'wait',
      '--for=condition=Available',
      'deployment',
      '-l',
      RELEASE_SELECTOR,
      '-n',
      OPERATOR_NAMESPACE,
      '--timeout=120s',
    ],
    { timeoutMs: 130_000 },
  );
}

/** Names of objects of `kinds` matching `selector` (all namespaces), "kind/ns/name" each. */
async function leftovers(
  cluster: E2ECluster,
  kinds: string,
  selector: string,
  namespace?: string,
): Promise<string[]> {
  const out = await cluster.kubectl([
    'get',
    kinds,
    ...(namespace ? ['-n', namespace] : ['-A']),
    '-l',
    selector,
    '-o',
    'jsonpath={range .items[*]}{.kind}/{.metadata.namespace}/{.metadata.name}{"\\n"}{end}',
  ]);
  return out.split('\n').filter(Boolean);
}

/**
 * Scenario 7, the HybridCluster part: deleting it removes everything the operator made for it (by
 * owner references and the operator's finalizers), before its namespace goes.
 */
export async function deleteHybridCluster(
  cluster: E2ECluster,
  namespace: string,
  name: string,
): Promise<void> {
  await cluster.kubectl(['delete', 'hybridcluster', name, '-n', namespace, '--wait=true', '--timeout=120s'], {
    timeoutMs: 130_000,
  });
  await waitFor(
    `nothing the operator made left in ${namespace} after deleting hybridcluster/${name}`,
    async () => {
      const left = await leftovers(cluster, WORKLOAD_KINDS, OPERATOR_MADE, namespace);
      return left.length === 0 ? true : new NotYet(left.join(', '));
    },
    { timeoutMs: 90_000, intervalMs: 500 },
  );
}

/** Deletes a namespace and waits until it is gone. */
export async function deleteNamespace(cluster: E2ECluster, namespace: string): Promise<void> {
  await cluster.kubectl(
    ['delete', 'namespace', namespace, '--ignore-not-found', '--wait=true', '--timeout=120s'],
    {
      timeoutMs: 130_000,
    },
  );
}

/**
 * Scenario 7, the chart part: `helm uninstall` removes the release's objects (cluster-scoped RBAC
 * included); the CRDs stay, as helm does with a chart's crds/ directory.
 */
export async function uninstallChart(cluster: E2ECluster): Promise<void> {
  await cluster.helm(
    ['uninstall', RELEASE, '--namespace', OPERATOR_NAMESPACE, '--wait', '--timeout', '120s'],
    {
      timeoutMs: 130_000,
    },
  );
  await deleteNamespace(cluster, OPERATOR_NAMESPACE);
  await waitFor(
    'no object of the release or the operator left anywhere',
    async () => {
      const left = [
        ...(await leftovers(
          cluster,
          `${KINDS},clusterroles,clusterrolebindings,roles,rolebindings`,
          RELEASE_SELECTOR,
        )),
        ...(await leftovers(cluster, KINDS, OPERATOR_MADE)),
      ];
      return left.length === 0 ? true : new NotYet(left.join(', '));
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  const crds = await cluster.kubectl(['get', 'crds', '-o', 'jsonpath={.items[*].metadata.name}']);
  for (const crd of [
    'hybridclusters.hybridgate.dev',
    'controlplanes.hybridgate.dev',
    'dataplanes.hybridgate.dev',
  ]) {
    if (!crds.split(/\s+/).includes(crd))
      throw new Error(`CRD ${crd} was removed by helm uninstall; helm keeps crds/`);
  }
}
