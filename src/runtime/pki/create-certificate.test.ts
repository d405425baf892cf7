import { describe, it, expect, afterAll } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificate } from './create-certificate.js';
import { PkiError } from './errors.js';
import { generateSharedClusterCertificate, SHARED_CLUSTER_CN } from './shared-cluster-cert.js';
import {
  assertKeyMatchesCertificate,
  certificateExpiry,
  parseCertificatePem,
  parsePrivateKeyPem,
} from './cert-inspect.js';

const dir = mkdtempSync(join(tmpdir(), 'hg-pki-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}
const openssl = (...args: string[]): string => execFileSync('openssl', args, { encoding: 'utf8' });

describe('generateSharedClusterCertificate', () => {
  const now = new Date('2030-01-01T00:00:00Z');
  const pair = generateSharedClusterCertificate({ now });
  const certPath = write('cluster.crt', pair.certPem);

  it('is an EC P-384 self-signed certificate with CN kong_clustering valid 1095 days', () => {
    const text = openssl('x509', '-in', certPath, '-noout', '-text');
    expect(text).toContain('Subject: CN = kong_clustering');
    expect(text).toContain('Issuer: CN = kong_clustering');
    expect(text).toContain('NIST CURVE: P-384');
    expect(text).toContain('ecdsa-with-SHA384');
    expect(text).toContain('TLS Web Server Authentication, TLS Web Client Authentication');
    const cert = parseCertificatePem(pair.certPem);
    expect(certificateExpiry(cert) - now.getTime() / 1000).toBe(1095 * 86400);
  });

  it('verifies against itself with openssl and its key matches', () => {
    expect(
      openssl('verify', '-attime', String(now.getTime() / 1000 + 10), '-CAfile', certPath, certPath).trim(),
    ).toBe(`${certPath}: OK`);
    assertKeyMatchesCertificate(parseCertificatePem(pair.certPem), parsePrivateKeyPem(pair.keyPem));
  });

  it('honours days and rejects nonsense', () => {
    const short = parseCertificatePem(generateSharedClusterCertificate({ days: 7, now }).certPem);
    expect(certificateExpiry(short) - now.getTime() / 1000).toBe(7 * 86400);
    expect(() => generateSharedClusterCertificate({ days: 0 })).toThrow(PkiError);
    expect(() => generateSharedClusterCertificate({ days: 1.5 })).toThrow(/days must be an integer/);
  });

  it('a foreign key does not match', () => {
    const other = generateSharedClusterCertificate();
    expect(() =>
      assertKeyMatchesCertificate(parseCertificatePem(pair.certPem), parsePrivateKeyPem(other.keyPem)),
    ).toThrow(/does not match/);
    expect(SHARED_CLUSTER_CN).toBe('kong_clustering');
  });
});

describe('createCertificate (the PKI-mode building block)', () => {
  it('builds an RSA root, an EC intermediate and a leaf with SAN, EKU and AIA that openssl verifies', () => {
    const root = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const inter = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    const leaf = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey;
    const notBefore = new Date(Date.now() - 60_000);
    const notAfter = new Date(Date.now() + 86_400_000);
    const rootCert = createCertificate({
      subject: { C: 'US', O: 'Hybridgate', CN: 'root ca' },
      publicKey: root,
      signingKey: root,
      notBefore,
      notAfter,
      extensions: { basicConstraints: { ca: true, pathLength: 1 }, keyUsage: ['keyCertSign', 'cRLSign'] },
    });
    const interCert = createCertificate({
      subject: { CN: 'intermediate' },
      issuer: { C: 'US', O: 'Hybridgate', CN: 'root ca' },
      publicKey: inter,
      signingKey: root,
      notBefore,
      notAfter,
      extensions: { basicConstraints: { ca: true, pathLength: 0 }, keyUsage: ['keyCertSign', 'cRLSign'] },
    });
    const leafCert = createCertificate({
      subject: { CN: 'dp-1' },
      issuer: { CN: 'intermediate' },
      publicKey: leaf,
      signingKey: inter,
      serial: Buffer.from([0x80, 0x01]),
      notBefore,
      notAfter,
      extensions: {
        basicConstraints: { ca: false },
        keyUsage: ['digitalSignature', 'decipherOnly'],
        extKeyUsage: ['clientAuth'],
        subjectAltName: { dns: ['dp-1.example.test'], ip: ['127.0.0.1', '::1'], uri: ['spiffe://x/dp-1'] },
        authorityInfoAccess: { ocsp: ['http://127.0.0.1:9/ocsp'] },
      },
    });
    const rootPath = write('root.pem', rootCert.pem);
    const interPath = write('inter.pem', interCert.pem);
    const leafPath = write('leaf.pem', leafCert.pem);
    expect(
      openssl(
        'verify',
        '-CAfile',
        rootPath,
        '-untrusted',
        interPath,
        '-purpose',
        'sslclient',
        leafPath,
      ).trim(),
    ).toBe(`${leafPath}: OK`);
    const text = openssl('x509', '-in', leafPath, '-noout', '-text');
    expect(text).toContain(
      'DNS:dp-1.example.test, URI:spiffe://x/dp-1, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
    );
    expect(text).toContain('OCSP - URI:http://127.0.0.1:9/ocsp');
    expect(text).toContain('Digital Signature, Decipher Only');
    expect(text).toContain('Serial Number: 32769 (0x8001)');
    expect(new X509Certificate(leafCert.der).checkIssued(new X509Certificate(interCert.der))).toBe(true);
  });

  it('rejects bad input with the field named', () => {
    const k = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    const base = {
      subject: { CN: 'x' },
      publicKey: k,
      signingKey: k,
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 1000),
    };
    expect(() => createCertificate({ ...base, notAfter: new Date(0) })).toThrow(/notAfter/);
    expect(() => createCertificate({ ...base, subject: {} })).toThrow(/subject must have/);
    expect(() => createCertificate({ ...base, subject: { C: 'usa' } })).toThrow(/two-letter/);
    expect(() => createCertificate({ ...base, extensions: { subjectAltName: { ip: ['nope'] } } })).toThrow(
      /subjectAltName.*IPv4/,
    );
    expect(() =>
      createCertificate({ ...base, extensions: { basicConstraints: { ca: false, pathLength: 1 } } }),
    ).toThrow(/pathLength/);
    const ed = generateKeyPairSync('ed25519').privateKey;
    expect(() => createCertificate({ ...base, signingKey: ed })).toThrow(/unsupported key type/);
  });
});
