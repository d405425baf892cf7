import { describe, expect, it } from '@jest/globals';
import type { KubeApi } from './kube-api.js';
import { containerEnv, EnvError } from './pod-env.js';
import type { Pod } from './pod-types.js';

const objects: Record<string, unknown> = {
  '/api/v1/namespaces/ns/secrets/s': {
    metadata: { name: 's' },
    data: { pw: Buffer.from('hunter2').toString('base64') },
  },
  '/api/v1/namespaces/ns/configmaps/cm': { metadata: { name: 'cm' }, data: { level: 'debug', A: 'from-cm' } },
};
const api = { getOrUndefined: async (path: string) => objects[path] } as unknown as KubeApi;
const pod: Pod = {
  metadata: { name: 'p', namespace: 'ns', uid: 'u1', labels: { app: 'x' } },
  spec: { serviceAccountName: 'sa', nodeName: 'n1', containers: [] },
};
const ctx = { api, pod, podIP: '10.250.1.2', hostIP: '10.250.1.1', apiHost: '10.250.1.1', apiPort: 6443 };

describe('containerEnv', () => {
  it('resolves literals, refs, fields, envFrom and $(VAR), plus the apiserver variables', async () => {
    const env = await containerEnv(ctx, {
      name: 'c',
      image: 'hybridgate/hybridgate',
      envFrom: [{ configMapRef: { name: 'cm' }, prefix: 'CM_' }],
      env: [
        { name: 'LIT', value: 'x' },
        { name: 'REF', value: '$(LIT)-$(CM_level)-$$(LIT)' },
        { name: 'PW', valueFrom: { secretKeyRef: { name: 's', key: 'pw' } } },
        { name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'cm', key: 'level' } } },
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
        { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'OPT', valueFrom: { secretKeyRef: { name: 'missing', key: 'k', optional: true } } },
      ],
      resources: { limits: { memory: '256Mi' } },
    });
    expect(env).toMatchObject({
      CM_level: 'debug',
      CM_A: 'from-cm',
      LIT: 'x',
      REF: 'x-debug-$(LIT)',
      PW: 'hunter2',
      LEVEL: 'debug',
      IP: '10.250.1.2',
      NS: 'ns',
      SA: 'sa',
      APP: 'x',
      MEM: '256',
      KUBERNETES_SERVICE_HOST: '10.250.1.1',
      KUBERNETES_SERVICE_PORT: '6443',
    });
    expect(env).not.toHaveProperty('OPT');
  });

  it('names the variable and what is missing', async () => {
    const run = (env: object[]) => containerEnv(ctx, { name: 'c', image: 'i', env: env as never });
    await expect(
      run([{ name: 'X', valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }]),
    ).rejects.toThrow(new EnvError('X', 'secret "nope" not found'));
    await expect(run([{ name: 'Y', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }])).rejects.toThrow(
      'env Y: key "k" not in secret "s"',
    );
    await expect(run([{ name: 'Z', valueFrom: { fieldRef: { fieldPath: 'spec.bogus' } } }])).rejects.toThrow(
      'env Z: unsupported fieldRef spec.bogus',
    );
  });
});
