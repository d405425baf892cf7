import { afterAll, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { DefaultCertificateError, ensureDefaultCertificate } from './default-certificate.js';

const prefix = mkdtempSync(join(tmpdir(), 'hg-tls-'));
afterAll(() => rmSync(prefix, { recursive: true, force: true }));

describe('ensureDefaultCertificate', () => {
  it('creates a CN=localhost RSA 2048 certificate with a 0600 key, reuses it, and serves TLS with it', async () => {
    const first = await ensureDefaultCertificate(prefix, 'admin');
    const x509 = new X509Certificate(first.cert);
    expect(x509.subject).toContain('CN=localhost');
    expect(x509.subjectAltName).toContain('DNS:localhost');
    expect(x509.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(x509.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(statSync(first.keyPath).mode & 0o777).toBe(0o600);
    expect(statSync(join(prefix, 'ssl')).mode & 0o777).toBe(0o700);
    const again = await ensureDefaultCertificate(prefix, 'admin');
    expect(again.cert).toBe(first.cert);

    const server = createServer({ cert: first.cert, key: first.key }, (_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const peer = await new Promise<string>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: first.cert }, () => {
          const fp = socket.getPeerX509Certificate()?.fingerprint256 ?? '';
          socket.end();
          resolve(fp);
        });
        socket.on('error', reject);
      });
      expect(peer).toBe(x509.fingerprint256);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('replaces a corrupt pair and refuses names that could escape the directory', async () => {
    const { certPath } = await ensureDefaultCertificate(prefix, 'proxy');
    writeFileSync(certPath, 'not a certificate');
    const fixed = await ensureDefaultCertificate(prefix, 'proxy');
    expect(() => new X509Certificate(fixed.cert)).not.toThrow();
    await expect(ensureDefaultCertificate(prefix, '../x')).rejects.toBeInstanceOf(DefaultCertificateError);
  });

  it('reports an unwritable prefix as a typed error', async () => {
    const file = join(prefix, 'a-file');
    writeFileSync(file, '');
    await expect(ensureDefaultCertificate(file, 'admin')).rejects.toThrow(
      /cannot prepare the default certificate/,
    );
  });
});
