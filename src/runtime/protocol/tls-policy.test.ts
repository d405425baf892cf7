import { describe, it, expect, afterEach } from '@jest/globals';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import { generateSharedClusterCertificate } from '../pki/shared-cluster-cert.js';
import { PkiError } from '../pki/errors.js';
import { createSharedTlsPolicy, peerCertificateChain } from './tls-policy.js';

const shared = generateSharedClusterCertificate();
const foreign = generateSharedClusterCertificate();
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(policy: ReturnType<typeof createSharedTlsPolicy>) {
  const verdicts: unknown[] = [];
  const server = createServer(policy.serverOptions(), (sock: TLSSocket) => {
    verdicts.push(policy.verifyClient(peerCertificateChain(sock)));
    sock.end('hi');
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, verdicts };
}

async function dial(port: number, policy: ReturnType<typeof createSharedTlsPolicy>) {
  const sock = connect({ host: '127.0.0.1', port, ...policy.clientOptions() });
  try {
    await once(sock, 'secureConnect');
    const v = policy.verifyServer(peerCertificateChain(sock));
    sock.on('data', () => undefined);
    await once(sock, 'end');
    return v;
  } finally {
    sock.destroy();
  }
}

describe('shared-mode TLS policy over real TLS', () => {
  it('both sides accept the shared certificate', async () => {
    const policy = createSharedTlsPolicy(shared.certPem, shared.keyPem);
    const { port, verdicts } = await serve(policy);
    expect(await dial(port, policy)).toMatchObject({ ok: true, expiry: expect.any(Number) });
    expect(verdicts).toEqual([{ ok: true, expiry: expect.any(Number) }]);
  });

  it('the CP refuses a DP with a foreign certificate, naming the digests', async () => {
    const { port, verdicts } = await serve(createSharedTlsPolicy(shared.certPem, shared.keyPem));
    // The DP trusts the CP's cert but presents its own: TLS completes, the digest check refuses.
    const dp = createSharedTlsPolicy(foreign.certPem, foreign.keyPem);
    const opts = { ...dp.clientOptions(), ca: shared.certPem };
    const sock = connect({ host: '127.0.0.1', port, ...opts });
    await once(sock, 'secureConnect');
    sock.resume();
    await once(sock, 'end');
    sock.destroy();
    expect(verdicts).toEqual([
      {
        ok: false,
        reason: expect.stringMatching(/client certificate digest .* does not match cluster_cert digest/),
      },
    ]);
  });

  it('the DP refuses a CP with a foreign certificate at the handshake', async () => {
    const { port } = await serve(createSharedTlsPolicy(foreign.certPem, foreign.keyPem));
    await expect(dial(port, createSharedTlsPolicy(shared.certPem, shared.keyPem))).rejects.toThrow(
      /self.signed|unable to verify|certificate/i,
    );
  });

  it('a key that does not match its certificate is a startup error', () => {
    expect(() => createSharedTlsPolicy(shared.certPem, foreign.keyPem)).toThrow(PkiError);
    expect(() => createSharedTlsPolicy('junk', shared.keyPem)).toThrow(
      /cluster_cert holds no PEM certificate/,
    );
  });
});
