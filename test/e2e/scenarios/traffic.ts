import { request } from 'undici';
import { PORTS } from '../../../src/shared/contract.js';
import type { E2ECluster } from '../cluster/e2e-cluster.js';
import type { AdminApi } from '../support/admin-api.js';
import { listPods, podSelector } from '../support/kube.js';
import { UPSTREAM_HEADER, type UpstreamServer } from '../support/upstream-server.js';
import { NotYet, waitFor } from '../support/wait.js';
import type { SampleUnderTest } from './context.js';

/** The service and routes the scenarios configure. */
export const SERVICE = 'e2e-upstream';
export const FIRST_ROUTE = { name: 'e2e-first', path: '/e2e-first' };
export const SECOND_ROUTE = { name: 'e2e-second', path: '/e2e-second' };

/**
 * Scenario 3: a service pointing at the test's upstream and a route to it, created through the CP's
 * Admin API. Retried until the Admin API answers (the CP may still be opening its store).
 */
export async function configureService(admin: AdminApi, upstream: UpstreamServer): Promise<void> {
  await waitFor(`the Admin API to create service ${SERVICE}`, () =>
    admin.call(
      'PUT',
      `/services/${SERVICE}`,
      { url: `http://${upstream.host}:${upstream.port}` },
      [200, 201],
    ),
  );
  await addRoute(admin, FIRST_ROUTE);
}

/** Adds (or replaces) a route of the service: PUT is idempotent, so a retried call cannot double it. */
export async function addRoute(admin: AdminApi, route: { name: string; path: string }): Promise<void> {
  await waitFor(`the Admin API to create route ${route.name}`, () =>
    admin.call('PUT', `/services/${SERVICE}/routes/${route.name}`, { paths: [route.path] }, [200, 201]),
  );
}

/** One request through a pod's proxy port: a description of what went wrong, or undefined when it reached the upstream. */
export async function probeThroughPod(
  cluster: E2ECluster,
  namespace: string,
  pod: string,
  path: string,
  upstream: UpstreamServer,
): Promise<string | undefined> {
  const reach = await cluster.reachPod(namespace, pod, PORTS.proxy);
  try {
    const res = await request(`http://${reach.host}:${reach.port}${path}`, {
      headers: { connection: 'close' },
      signal: AbortSignal.timeout(5_000),
    });
    const body = await res.body.text();
    if (res.statusCode !== 200) return `${pod}${path}: status ${res.statusCode} ${body.slice(0, 200)}`;
    if (res.headers[UPSTREAM_HEADER] !== upstream.id)
      return `${pod}${path}: answer without the upstream's header`;
    return undefined;
  } catch (err) {
    return `${pod}${path}: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    await reach.close();
  }
}

/**
 * Every ready DP pod of every DataPlane of the sample proxies `path` to the upstream. Polls until all
 * do (a DP gets the new config within a push interval), naming the pods that do not yet.
 */
export async function expectEveryPodReachesUpstream(
  cluster: E2ECluster,
  sample: SampleUnderTest,
  path: string,
  upstream: UpstreamServer,
  timeoutMs = 60_000,
): Promise<number> {
  return waitFor(
    `requests to ${path} through every data plane pod of ${sample.namespace}/${sample.name} to reach the upstream`,
    async () => {
      const problems: string[] = [];
      let pods = 0;
      for (const dp of sample.dataPlanes) {
        const ready = (await listPods(cluster, sample.namespace, podSelector(dp.name, 'data-plane'))).filter(
          (p) => p.ready && p.deletionRequestedAt === undefined,
        );
        if (ready.length !== dp.replicas)
          problems.push(`${dp.name}: ${ready.length}/${dp.replicas} pods ready`);
        for (const p of ready) {
          pods++;
          const problem = await probeThroughPod(cluster, sample.namespace, p.name, path, upstream);
          if (problem) problems.push(problem);
        }
      }
      return problems.length === 0 ? pods : new NotYet(problems.join('; '));
    },
    { timeoutMs, intervalMs: 500 },
  );
}

/**
 * Re-creates the service and first route when an earlier scenario lost them (it has failed already
 * and said why), so the scenarios after it test their own subject instead of failing for the same
 * reason; says so on stderr. Returns whether anything was missing.
 */
export async function ensureConfigured(admin: AdminApi, upstream: UpstreamServer): Promise<boolean> {
  const res = await waitFor('the Admin API', () =>
    admin.request('GET', `/services/${SERVICE}/routes/${FIRST_ROUTE.name}`),
  );
  if (res.status === 200) return false;
  process.stderr.write(`e2e: route ${FIRST_ROUTE.name} is missing (status ${res.status}); re-creating it\n`);
  await configureService(admin, upstream);
  return true;
}
