import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApiextensionsV1Api,
  loadYaml,
  type KubeConfig,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { CRDS_DIR } from '../../src/api/v1alpha1/crd-files.js';
import { KINDS } from '../../src/api/v1alpha1/index.js';
import { pollUntil } from './poll.js';

/** Creates (or replaces) the Hybridgate CRDs from crds/ and waits until the apiserver serves them. */
export async function installCrds(kc: KubeConfig): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  // loadYaml maps the raw schema onto client-node's models (x-kubernetes-* keys become typed fields);
  // passing plain parsed YAML would silently drop them on serialisation.
  const crds = Object.values(KINDS).map((k) =>
    loadYaml<V1CustomResourceDefinition>(readFileSync(join(CRDS_DIR, k.crdFile), 'utf8')),
  );
  for (const body of crds) {
    const name = body.metadata!.name!;
    try {
      await api.createCustomResourceDefinition({ body });
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
      const current = await api.readCustomResourceDefinition({ name });
      await api.replaceCustomResourceDefinition({
        name,
        body: { ...body, metadata: { ...body.metadata, resourceVersion: current.metadata?.resourceVersion } },
      });
    }
  }
  for (const body of crds) {
    const name = body.metadata!.name!;
    await pollUntil(`CRD ${name} Established`, async () => {
      const crd = await api.readCustomResourceDefinition({ name });
      const established = crd.status?.conditions?.some(
        (c) => c.type === 'Established' && c.status === 'True',
      );
      return established ? true : undefined;
    });
  }
}
