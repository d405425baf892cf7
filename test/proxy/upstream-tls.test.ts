import { afterEach, describe, expect, it } from '@jest/globals';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { opensslCert } from './helpers/openssl-cert.js';
import { startProxy, type TestProxy } from './helpers/harness.js';
import type { DataPlaneConfig } from '../../src/runtime/data-plane/engine/types.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function httpsUpstream(cert: { cert: string; key: string }): Promise<number> {
  const server = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
    res.setHeader('x-seen-proto', String((req.socket as { encrypted?: boolean }).encrypted === true));
    res.end('secure');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return (server.address() as AddressInfo).port;
}

function config(port: number, service: Record<string, unknown>, ca?: string): DataPlaneConfig {
  return {
    services: [{ id: 's1', host: '127.0.0.1', port, protocol: 'https', retries: 0, ...service }],
    routes: [{ id: 'r1', paths: ['/'], service: { id: 's1' } }],
    ...(ca !== undefined ? { ca_certificates: [{ id: 'ca1', cert: ca }] } : {}),
  };
}

describe('https upstreams', () => {
  it('verifies the upstream certificate against ca_certificates, or skips with tls_verify off', async () => {
    const cert = opensslCert('upstream.test', ['IP:127.0.0.1']);
    const port = await httpsUpstream(cert);
    const p: TestProxy = await startProxy({ config: config(port, { tls_verify: true }) });
    cleanups.push(() => p.close());
    // Self-signed and not in the system store: verification fails, Kong answers 502.
    expect((await p.fetch('/')).status).toBe(502);

    await p.engine.apply(config(port, { tls_verify: true, ca_certificates: ['ca1'] }, cert.cert));
    const trusted = await p.fetch('/');
    expect(trusted.status).toBe(200);
    expect(trusted.text).toBe('secure');
    expect(trusted.headers['x-seen-proto']).toBe('true');

    await p.engine.apply(config(port, { tls_verify: false }));
    expect((await p.fetch('/')).status).toBe(200);
  });

  it('refuses a config whose service names a missing CA certificate, keeping the old one', async () => {
    const cert = opensslCert('upstream.test', ['IP:127.0.0.1']);
    const port = await httpsUpstream(cert);
    const p = await startProxy({ config: config(port, { tls_verify: false }) });
    cleanups.push(() => p.close());
    const res = await p.engine.apply(config(port, { ca_certificates: ['missing'] }));
    expect(res.applied).toBe(false);
    expect(res.error?.message).toMatch(/ca_certificate missing not found/);
    expect((await p.fetch('/')).status).toBe(200);
  });
});
