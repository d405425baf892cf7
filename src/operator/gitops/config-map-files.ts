import type { KubeObject } from '../../api/meta.js';
import { ConfigFilesError, type SourceFile } from './merge-files.js';
import type { ObservedConfigMap } from './plan.js';

/** A reference to ConfigMap files (spec.declarativeConfig.configMapRefs[]). */
export interface ConfigMapRef {
  name: string;
  key?: string;
}

/** A ConfigMap as the API serves it (only what is read here). */
export type KubeConfigMap = KubeObject & {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
};

/**
 * The files the refs name, in ref order (a ConfigMap's keys in sorted order when no key is given, so
 * the merge order never depends on the API server), and the ConfigMaps read with their
 * resourceVersion. A missing ConfigMap or key is an error naming it: applying the rest would delete
 * the managed entities of the missing file.
 */
export function filesFromConfigMaps(
  refs: readonly ConfigMapRef[],
  namespace: string,
  get: (namespace: string, name: string) => KubeConfigMap | undefined,
): { files: SourceFile[]; observed: ObservedConfigMap[] } {
  const files: SourceFile[] = [];
  const observed: ObservedConfigMap[] = [];
  const seen = new Set<string>();
  for (const ref of refs) {
    const cm = get(namespace, ref.name);
    if (!cm) {
      throw new ConfigFilesError('CONFIG_MAP_NOT_FOUND', `ConfigMap ${namespace}/${ref.name} not found`, {
        namespace,
        name: ref.name,
      });
    }
    if (!seen.has(ref.name)) {
      seen.add(ref.name);
      observed.push({ name: ref.name, resourceVersion: cm.metadata?.resourceVersion });
    }
    const data = cm.data ?? {};
    const keys = ref.key === undefined ? Object.keys(data).sort() : [ref.key];
    if (ref.key !== undefined && data[ref.key] === undefined) {
      const binary =
        cm.binaryData?.[ref.key] !== undefined ? ' (it is in binaryData; files must be text in data)' : '';
      throw new ConfigFilesError(
        'CONFIG_MAP_KEY_NOT_FOUND',
        `ConfigMap ${namespace}/${ref.name} has no key ${ref.key}${binary}`,
        { namespace, name: ref.name, key: ref.key },
      );
    }
    for (const key of keys) files.push({ source: `${ref.name}/${key}`, text: data[key] as string });
  }
  return { files, observed };
}
