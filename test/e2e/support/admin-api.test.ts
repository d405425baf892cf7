import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer as createHttp, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import { issueCa, issueLeaf } from '../../../src/operator/certificates/issue.js';
import type { E2ECluster } from '../cluster/e2e-cluster.js';
import { adminApiFor } from './admin-api.js';

// adminApiFor must work whether or not the operator protects the Admin API: a real HTTP and a real
// HTTPS server on loopback stand in for the CP pod; kubectl answers come from a table.
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

const HASH = 'a'.repeat(32);
const b64 = (s: string) => Buffer.from(s).toString('base64');

function handler(seen: { auth?: string | undefined }[]) {
  return (req: IncomingMessage, res: ServerResponse) => {
    seen.push({ auth: req.headers.authorization });
    res.setHeader('content-type', 'application/json');
    if (req.url === '/clustering/config-hash') res.end(JSON.stringify({ config_hash: HASH }));
    else res.writeHead(404).end(JSON.stringify({ message: 'Not found' }));
  };
}

function fakeCluster(port: number, objects: Record<string, unknown>): E2ECluster {
  const no = (): never => {
    throw new Error('not used');
  };
  return {
    kubeconfigPath: '',
    binDir: '',
    imageValues: {},
    hostAddress: '127.0.0.1',
    reachPod: (_ns, _pod, podPort) =>
      podPort === 8444
        ? Promise.resolve({ host: '127.0.0.1', port, close: () => Promise.resolve() })
        : Promise.reject(new Error(`reached port ${podPort}, not the pod's admin port 8444`)),
    kubectl: (args) => {
      const key = `${args[1]}/${args[2]?.startsWith('-') ? '' : args[2]}`;
      if (args[1] === 'pod') {
        // The pod's spec: the Admin API port is the one named "admin".
        return Promise.resolve(
          JSON.stringify({ spec: { containers: [{ ports: [{ name: 'admin', containerPort: 8444 }] }] } }),
        );
      }
      if (args[1] === 'pods') {
        return Promise.resolve(
          JSON.stringify({
            items: [
              {
                metadata: { name: 'demo-0', uid: 'u1' },
                status: { podIP: '127.0.0.1', conditions: [{ type: 'Ready', status: 'True' }] },
              },
            ],
          }),
        );
      }
      return Promise.resolve(key in objects ? JSON.stringify(objects[key]) : '');
    },
    helm: no,
    podLogTail: no,
    stop: () => Promise.resolve(),
  };
}

describe('adminApiFor', () => {
  it('speaks plain HTTP without a token when the operator did not protect the Admin API', async () => {
    const seen: { auth?: string | undefined }[] = [];
    const server = createHttp(handler(seen));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => server.close(() => r())));
    const api = adminApiFor(
      fakeCluster((server.address() as AddressInfo).port, {
        'controlplane/demo': { status: { endpoints: { admin: 'demo-admin.ns.svc:8001' } } },
      }),
      'ns',
      'demo',
    );
    closers.push(() => api.close());
    expect(await api.configHash()).toBe(HASH);
    expect(seen).toEqual([{ auth: undefined }]);
    expect(api.describe()).toMatch(/token: no, tls: no/);
    const res = await api.request('GET', '/nothing');
    expect(res.status).toBe(404);
    await expect(api.call('GET', '/nothing', undefined, [200])).rejects.toThrow(/answered 404: Not found/);
  });

  it('sends the token and verifies TLS against the CA and the Service name when they exist', async () => {
    const now = Date.now();
    const ca = issueCa('e2e admin ca', now, 3_600_000);
    const leaf = issueLeaf(ca, {
      usage: 'server',
      commonName: 'demo-admin',
      dnsNames: ['demo-admin.ns.svc'],
      now,
      notAfter: now + 3_600_000,
    });
    const seen: { auth?: string | undefined }[] = [];
    const server = createHttps({ cert: leaf.certPem, key: leaf.keyPem }, handler(seen));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => server.close(() => r())));
    const port = (server.address() as AddressInfo).port;
    const objects = {
      'controlplane/demo': { status: { endpoints: { admin: 'https://demo-admin.ns.svc:8001' } } },
      'secret/demo-admin-token': { data: { token: b64('s3cret') } },
      'secret/demo-admin-tls': { data: { 'ca.crt': b64(ca.certPem) } },
    };
    const api = adminApiFor(fakeCluster(port, objects), 'ns', 'demo');
    closers.push(() => api.close());
    expect(await api.configHash()).toBe(HASH);
    expect(seen).toEqual([{ auth: 'Bearer s3cret' }]);
    expect(api.describe()).toMatch(/https:.*token: yes, tls: yes/);

    // Without the CA the same server is refused: the client really verifies the certificate.
    const untrusted = adminApiFor(
      fakeCluster(port, {
        ...objects,
        'secret/demo-admin-tls': { data: { 'ca.crt': b64(issueCa('other', now, 3_600_000).certPem) } },
      }),
      'ns',
      'demo',
    );
    closers.push(() => untrusted.close());
    await expect(untrusted.configHash()).rejects.toThrow(/certificate/);
  });
});
