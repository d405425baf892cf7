import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { E2ECluster } from '../cluster/e2e-cluster.js';
import { NotYet, waitFor } from '../support/wait.js';
import { REPO_ROOT, type SampleUnderTest } from './context.js';

interface SampleDoc {
  metadata: { name: string; namespace?: string };
  spec: { image?: string; dataPlanes?: { name: string; replicas?: number }[] };
}

/**
 * Reads a HybridCluster sample and says what it will make in `namespace`: the cluster's name and its
 * DataPlanes (`<cluster>-<group>`) with their replica counts.
 */
export async function describeSample(file: string, namespace: string): Promise<SampleUnderTest> {
  const doc = parse(await readFile(join(REPO_ROOT, file), 'utf8')) as SampleDoc;
  const name = doc.metadata.name;
  return {
    file,
    namespace,
    name,
    dataPlanes: (doc.spec.dataPlanes ?? []).map((g) => ({
      name: `${name}-${g.name}`,
      replicas: g.replicas ?? 1,
    })),
  };
}

/**
 * Scenario 2: `kubectl apply` a sample as a user would, into a fresh namespace. The file is applied as
 * it is; only when the cluster names an image is spec.image set to it (piped through stdin).
 */
export async function applySample(cluster: E2ECluster, sample: SampleUnderTest): Promise<void> {
  await cluster.kubectl(['create', 'namespace', sample.namespace]);
  const path = join(REPO_ROOT, sample.file);
  if (cluster.image === undefined) {
    await cluster.kubectl(['apply', '-n', sample.namespace, '-f', path]);
    return;
  }
  const doc = parse(await readFile(path, 'utf8')) as SampleDoc;
  doc.spec.image = cluster.image;
  await cluster.kubectl(['apply', '-n', sample.namespace, '-f', '-'], { input: stringify(doc) });
}

/** `kubectl wait --for=condition=Synced dataplane/<name>` for every DataPlane of the sample. */
export async function waitSampleSynced(
  cluster: E2ECluster,
  sample: SampleUnderTest,
  timeoutS = 180,
): Promise<void> {
  // kubectl wait fails at once on an object that does not exist yet: the operator makes them first.
  await waitFor(`the DataPlanes of ${sample.namespace}/${sample.name}`, async () => {
    const out = await cluster.kubectl(['get', 'dataplanes', '-n', sample.namespace, '-o', 'name']);
    const have = out.split(/\s+/).filter(Boolean);
    const missing = sample.dataPlanes.filter((dp) => !have.includes(`dataplane.hybridgate.dev/${dp.name}`));
    return missing.length === 0 ? true : new NotYet(`missing ${missing.map((d) => d.name).join(', ')}`);
  });
  await cluster.kubectl(
    [
      'wait',
      '--for=condition=Synced',
      ...sample.dataPlanes.map((dp) => `dataplane/${dp.name}`),
      '-n',
      sample.namespace,
      `--timeout=${timeoutS}s`,
    ],
    { timeoutMs: (timeoutS + 10) * 1000 },
  );
}
