import { createHash } from 'node:crypto';
import { CA_ANNOTATIONS } from '../../../src/operator/certificates/pki-plan.js';
import { ROTATE_CA_ANNOTATION } from '../../../src/operator/resources/annotations.js';
import { controlPlaneNames } from '../../../src/operator/resources/names.js';
import { DEFAULT_IMAGE } from '../../../src/shared/contract.js';
import type { E2ECluster } from '../cluster/e2e-cluster.js';
import type { AdminApi } from '../support/admin-api.js';
import { getJsonOrNone, listPods, podSelector } from '../support/kube.js';
import type { UpstreamServer } from '../support/upstream-server.js';
import { NotYet, waitFor } from '../support/wait.js';
import type { SampleUnderTest } from './context.js';
import { loadOnFirstRoute, readyPods, type DataPlaneUnderTest } from './disruption-support.js';
import { waitSampleSynced } from './samples.js';
import { waitConverged } from './status.js';
import { underLoad } from './under-load.js';

interface SecretView {
  metadata: { annotations?: Record<string, string> };
  data?: Record<string, string>;
}

const fingerprint = (b64: string | undefined): string =>
  b64 ? createHash('sha256').update(b64).digest('hex').slice(0, 16) : 'none';

async function secret(cluster: E2ECluster, ns: string, name: string): Promise<SecretView | undefined> {
  return getJsonOrNone<SecretView>(cluster, ['get', 'secret', name, '-n', ns]);
}

/**
 * After a rotation, a DP pod that connects anew must be accepted with the new certificates: delete
 * one pod of the DataPlane (not the pods the load is pinned to) and wait for the replacement to sync.
 */
async function reconnectOnePod(
  cluster: E2ECluster,
  ns: string,
  dp: DataPlaneUnderTest,
  admin: AdminApi,
  keep: string[],
): Promise<void> {
  const pods = (await listPods(cluster, ns, podSelector(dp.name, 'data-plane'))).filter(
    (p) => !keep.includes(p.name) && p.deletionRequestedAt === undefined,
  );
  if (pods.length === 0) throw new Error(`${dp.name}: no pod to reconnect besides ${keep.join(',')}`);
  await cluster.kubectl(['delete', 'pod', pods[0]!.name, '-n', ns, '--wait=false']);
  await waitConverged(cluster, ns, dp.name, dp.replicas, admin, 120_000);
}

/** The ready pods the load may pin to while one other pod is replaced: all but the last. */
async function pinnable(cluster: E2ECluster, ns: string, dp: string): Promise<string[]> {
  const ready = await readyPods(cluster, ns, dp);
  if (ready.length < 2) throw new Error(`${dp}: needs 2 ready pods, has ${ready.join(',')}`);
  return ready.slice(0, -1);
}

/**
 * Runs `rotate` under load pinned to pods that stay (no failed request allowed), then replaces one
 * other pod, which must connect and sync with the new certificates, and waits for the sample to sync.
 */
async function rotateUnderLoad(
  cluster: E2ECluster,
  sample: SampleUnderTest,
  dp: DataPlaneUnderTest,
  admin: AdminApi,
  upstream: UpstreamServer,
  what: string,
  rotate: () => Promise<void>,
): Promise<void> {
  const ns = sample.namespace;
  const pinned = await pinnable(cluster, ns, dp.name);
  await underLoad(what, loadOnFirstRoute(cluster, ns, dp.name, upstream, pinned), async () => {
    await rotate();
    await reconnectOnePod(cluster, ns, dp, admin, pinned);
  });
  await waitSampleSynced(cluster, sample, 120);
}

/**
 * Scenario 6, shared mode: deleting the `<cp>-cluster-cert` Secret makes the operator issue a new
 * pair (src/operator/certificates/shared-plan.ts: a missing or invalid Secret is re-issued); the
 * runtime reloads the files, so no pod restarts. Under load pinned to pods that stay: no failed
 * request; then a pod that reconnects with the new pair is synced.
 */
export async function rotateSharedCertificate(
  cluster: E2ECluster,
  sample: SampleUnderTest,
  dp: DataPlaneUnderTest,
  admin: AdminApi,
  upstream: UpstreamServer,
): Promise<void> {
  const ns = sample.namespace;
  const name = controlPlaneNames(sample.name).sharedCertSecret;
  const old = fingerprint((await secret(cluster, ns, name))?.data?.['tls.crt']);
  await rotateUnderLoad(cluster, sample, dp, admin, upstream, `rotate ${name}`, async () => {
    await cluster.kubectl(['delete', 'secret', name, '-n', ns]);
    await waitFor(`a new certificate in Secret ${ns}/${name}`, async () => {
      const now = fingerprint((await secret(cluster, ns, name))?.data?.['tls.crt']);
      return now !== 'none' && now !== old ? now : new NotYet(`certificate ${now} (old ${old})`);
    });
  });
}

/**
 * Scenario 6, pki mode: the documented CA rotation (annotation hybridgate.dev/rotate-ca on the
 * ControlPlane) runs through its phases (publishing → reissuing → stable, the CA Secret records them)
 * under load pinned to pods that stay; then a pod that reconnects with a leaf from the new CA is synced.
 */
export async function rotatePkiCa(
  cluster: E2ECluster,
  sample: SampleUnderTest,
  dp: DataPlaneUnderTest,
  admin: AdminApi,
  upstream: UpstreamServer,
  timeoutMs: number,
): Promise<void> {
  const ns = sample.namespace;
  const caSecret = controlPlaneNames(sample.name).caSecret;
  const oldCa = fingerprint((await secret(cluster, ns, caSecret))?.data?.['tls.crt']);
  const request = `e2e-${Date.now()}`;
  await rotateUnderLoad(
    cluster,
    sample,
    dp,
    admin,
    upstream,
    `rotate the CA of ${ns}/${sample.name}`,
    async () => {
      await cluster.kubectl([
        'annotate',
        'controlplane',
        sample.name,
        '-n',
        ns,
        `${ROTATE_CA_ANNOTATION}=${request}`,
        '--overwrite',
      ]);
      await waitFor(
        `the CA rotation ${request} of ${ns}/${sample.name} to finish`,
        async () => {
          const s = await secret(cluster, ns, caSecret);
          const a = s?.metadata.annotations ?? {};
          const ca = fingerprint(s?.data?.['tls.crt']);
          const phase = a[CA_ANNOTATIONS.phase] ?? 'stable';
          return a[CA_ANNOTATIONS.rotatedFor] === request && phase === 'stable' && ca !== oldCa
            ? true
            : new NotYet(
                `phase ${phase}, rotated for ${a[CA_ANNOTATIONS.rotatedFor]}, CA ${ca} (old ${oldCa})`,
              );
        },
        { timeoutMs, intervalMs: 1_000 },
      );
    },
  );
}

/**
 * Scenario 6, version upgrade: spec.version of the HybridCluster moves to `version`; the CP and every
 * DP roll (surge first, maxUnavailable 0) under load on every ready pod, as a Service would spread
 * it. Guarantee: no failed request to a pod whose deletion had not been requested; afterwards every
 * pod runs the new version's pod template and every DataPlane is Synced.
 */
export async function upgradeVersion(
  cluster: E2ECluster,
  sample: SampleUnderTest,
  dp: DataPlaneUnderTest,
  admin: AdminApi,
  upstream: UpstreamServer,
  version: string,
): Promise<void> {
  const ns = sample.namespace;
  await underLoad(
    `upgrade ${ns}/${sample.name} to ${version}`,
    loadOnFirstRoute(cluster, ns, dp.name, upstream),
    async () => {
      await cluster.kubectl([
        'patch',
        'hybridcluster',
        sample.name,
        '-n',
        ns,
        '--type=merge',
        '-p',
        JSON.stringify({ spec: { version } }),
      ]);
      await waitFor(`every DataPlane of ${ns}/${sample.name} at version ${version}`, async () => {
        const out = await cluster.kubectl([
          'get',
          'dataplanes,controlplanes',
          '-n',
          ns,
          '-o',
          'jsonpath={range .items[*]}{.metadata.name}={.spec.version} {end}',
        ]);
        const old = out.split(/\s+/).filter((x) => x && !x.endsWith(`=${version}`));
        return old.length === 0 ? true : new NotYet(out);
      });
      const names = controlPlaneNames(sample.name);
      // The version reaches the pods through the image tag (spec.image unset) — wait for the operator
      // to write it into the workloads before asking whether their rollouts are done.
      const image = cluster.image ?? `${DEFAULT_IMAGE}:${version}`;
      const workloads = [
        `statefulset/${names.workload}`,
        ...sample.dataPlanes.map((d) => `deployment/${d.name}`),
      ];
      await waitFor(`the workloads of ${ns}/${sample.name} to run ${image}`, async () => {
        const out = await cluster.kubectl([
          'get',
          ...workloads,
          '-n',
          ns,
          '-o',
          'jsonpath={range .items[*]}{.metadata.name}={.spec.template.spec.containers[0].image} {end}',
        ]);
        const old = out.split(/\s+/).filter((x) => x && !x.endsWith(`=${image}`));
        return old.length === 0 ? true : new NotYet(out);
      });
      await cluster.kubectl(
        ['rollout', 'status', `statefulset/${names.workload}`, '-n', ns, '--timeout=180s'],
        { timeoutMs: 190_000 },
      );
      for (const d of sample.dataPlanes) {
        await cluster.kubectl(['rollout', 'status', `deployment/${d.name}`, '-n', ns, '--timeout=180s'], {
          timeoutMs: 190_000,
        });
      }
      for (const d of sample.dataPlanes) await waitConverged(cluster, ns, d.name, d.replicas, admin, 120_000);
    },
  );
}
