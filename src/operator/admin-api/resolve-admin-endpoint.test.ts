import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Kube } from '../../api/meta.js';
import type { ControlPlane } from '../../api/v1alpha1/index.js';
import { planAdminCertificates } from '../certificates/admin-certificates.js';
import { secretText, type KubeSecret } from '../certificates/secrets.js';
import { adminTransport } from './admin-request.js';
import { planAdminToken } from './admin-token-secret.js';
import { ADMIN_URL_OVERRIDE_ANNOTATION, resolveAdminEndpoint } from './resolve-admin-endpoint.js';

const cp = (annotations: Record<string, string> = {}): Kube<ControlPlane> =>
  ({
    apiVersion: 'hybridgate.dev/v1alpha1',
    kind: 'ControlPlane',
    metadata: { name: 'cp', namespace: 'gw', uid: 'u-1', annotations },
    spec: { certificates: { mode: 'pki', provider: 'operator', duration: '2160h', renewBefore: '360h' } },
  }) as unknown as Kube<ControlPlane>;

// The Secrets the ControlPlane reconciler would write, made by the same planners.
function operatorSecrets(c: Kube<ControlPlane>): Map<string, KubeSecret> {
  const plan = planAdminCertificates({
    controlPlane: c,
    secrets: new Map(),
    now: Date.now(),
    propagationDelayMs: 0,
  });
  const token = planAdminToken(c, undefined);
  return new Map([...plan.apply, ...token.apply].map((s) => [s.metadata!.name!, s as KubeSecret]));
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

// An HTTPS server with the admin certificate that answers 200 only to the right bearer token.
async function adminServer(tls: KubeSecret, token: string): Promise<number> {
  const t = secretText(tls)!;
  const server = createServer({ cert: t['tls.crt'], key: t['tls.key'] }, (req, res) => {
    const ok = req.headers.authorization === `Bearer ${token}`;
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
    res.end(JSON.stringify(ok ? { ok: true } : { message: 'Unauthorized' }));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

describe('resolveAdminEndpoint', () => {
  it('the Service URL over https, the token, the CA bundle and the Service name to verify', async () => {
    const c = cp();
    const secrets = operatorSecrets(c);
    const e = await resolveAdminEndpoint(c, { get: (_ns, n) => secrets.get(n) }, false);
    expect(e.url).toBe('https://cp-admin.gw.svc:8444');
    expect(e.serverName).toBe('cp-admin.gw.svc');
    expect(e.token).toBe(secretText(secrets.get('cp-admin-token'))!['token']);
    expect(e.ca).toBe(secretText(secrets.get('cp-admin-tls'))!['ca.crt']);
  });

  it('the override only when allowed; the TLS name stays the Service name', async () => {
    const c = cp({ [ADMIN_URL_OVERRIDE_ANNOTATION]: 'https://127.0.0.1:1' });
    const secrets = operatorSecrets(c);
    const get = { get: (_ns: string, n: string) => secrets.get(n) };
    expect((await resolveAdminEndpoint(c, get, false)).url).toBe('https://cp-admin.gw.svc:8444');
    const e = await resolveAdminEndpoint(c, get, true);
    expect(e).toMatchObject({ url: 'https://127.0.0.1:1', serverName: 'cp-admin.gw.svc' });
  });

  it('missing Secrets are ADMIN_CREDENTIALS_MISSING naming the Secret and key', async () => {
    const c = cp();
    const secrets = operatorSecrets(c);
    await expect(resolveAdminEndpoint(c, { get: () => undefined }, false)).rejects.toMatchObject({
      code: 'ADMIN_CREDENTIALS_MISSING',
      message: expect.stringContaining('Secret gw/cp-admin-token has no usable key token'),
    });
    const noTls = { get: (_ns: string, n: string) => (n === 'cp-admin-tls' ? undefined : secrets.get(n)) };
    await expect(resolveAdminEndpoint(c, noTls, false)).rejects.toThrow(
      /gw\/cp-admin-tls has no usable key ca\.crt/,
    );
  });

  it('a transport from it verifies the certificate at 127.0.0.1 by the Service name and authenticates', async () => {
    const base = cp();
    const secrets = operatorSecrets(base);
    const token = secretText(secrets.get('cp-admin-token'))!['token']!;
    const port = await adminServer(secrets.get('cp-admin-tls')!, token);
    const c = cp({ [ADMIN_URL_OVERRIDE_ANNOTATION]: `https://127.0.0.1:${port}` });
    const get = { get: (_ns: string, n: string) => secrets.get(n) };
    const t = adminTransport(await resolveAdminEndpoint(c, get, true));
    try {
      expect(await t.request('GET', '/')).toEqual({ status: 200, body: { ok: true } });
    } finally {
      await t.close();
    }
    // Without the token: 401; with another CP's CA: the TLS handshake fails.
    const anon = adminTransport({
      url: `https://127.0.0.1:${port}`,
      ca: (await resolveAdminEndpoint(c, get, true)).ca,
      serverName: 'cp-admin.gw.svc',
    });
    const other = operatorSecrets(cp());
    const foreign = adminTransport({
      ...(await resolveAdminEndpoint(c, get, true)),
      ca: secretText(other.get('cp-admin-tls'))!['ca.crt'],
    });
    const wrongName = adminTransport({
      ...(await resolveAdminEndpoint(c, get, true)),
      serverName: 'cp-admin.other.svc',
    });
    try {
      expect((await anon.request('GET', '/')).status).toBe(401);
      await expect(foreign.request('GET', '/')).rejects.toMatchObject({ code: 'ADMIN_API_UNREACHABLE' });
      await expect(wrongName.request('GET', '/')).rejects.toMatchObject({ code: 'ADMIN_API_UNREACHABLE' });
    } finally {
      await Promise.all([anon.close(), foreign.close(), wrongName.close()]);
    }
  });
});
