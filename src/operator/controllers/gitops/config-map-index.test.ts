import { describe, expect, it } from '@jest/globals';
import type { Kube } from '../../../api/meta.js';
import type { ControlPlane } from '../../../api/v1alpha1/index.js';
import { controlPlanesOfConfigMap } from './config-map-index.js';

const cp = (namespace: string, name: string, refs?: string[]) =>
  ({
    metadata: { namespace, name },
    spec: {
      version: '0.1.0',
      ...(refs
        ? {
            declarativeConfig: {
              configMapRefs: refs.map((n) => ({ name: n })),
              managedTag: 't',
              syncIntervalSeconds: 60,
            },
          }
        : {}),
    },
  }) as unknown as Kube<ControlPlane>;

describe('controlPlanesOfConfigMap', () => {
  const map = controlPlanesOfConfigMap({
    list: () => [
      cp('a', 'one', ['gw', 'extra']),
      cp('a', 'two', ['gw']),
      cp('b', 'three', ['gw']),
      cp('a', 'plain'),
    ],
  });

  it('maps a ConfigMap to the ControlPlanes of its namespace that reference it', () => {
    expect(map({ metadata: { namespace: 'a', name: 'gw' } })).toEqual(['a/one', 'a/two']);
    expect(map({ metadata: { namespace: 'a', name: 'extra' } })).toEqual(['a/one']);
    expect(map({ metadata: { namespace: 'b', name: 'extra' } })).toEqual([]);
    expect(map({ metadata: { namespace: 'a' } })).toEqual([]);
  });
});
