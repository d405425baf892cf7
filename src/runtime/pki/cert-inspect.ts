import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { errorMessage } from '../../shared/errors.js';
import { PkiError } from './errors.js';

/** Parses the first certificate of a PEM string; `field` names the conf property in the error. */
export function parseCertificatePem(pem: string, field = 'certificate'): X509Certificate {
  const match = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem);
  if (!match) throw new PkiError(`${field} holds no PEM certificate`, { field });
  try {
    return new X509Certificate(match[0]);
  } catch (err) {
    throw new PkiError(
      `${field} is not a valid certificate: ${errorMessage(err)}`,
      { field },
      { cause: err },
    );
  }
}

/** Every certificate of a PEM bundle, in order (a chain: leaf first). */
export function parseCertificateChainPem(pem: string, field = 'certificate'): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new PkiError(`${field} holds no PEM certificate`, { field });
  return blocks.map((b) => parseCertificatePem(b, field));
}

/** Parses a PEM private key (PKCS#8, SEC1 or PKCS#1). */
export function parsePrivateKeyPem(pem: string, field = 'key'): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (err) {
    throw new PkiError(
      `${field} is not a valid private key: ${errorMessage(err)}`,
      { field },
      { cause: err },
    );
  }
}

/** Throws unless `key` is the private half of `cert`'s public key (a startup error on CP and DP). */
export function assertKeyMatchesCertificate(
  cert: X509Certificate,
  key: KeyObject,
  field = 'cluster_cert_key',
): void {
  if (!cert.checkPrivateKey(key)) {
    throw new PkiError(`${field} does not match the certificate's public key`, { field });
  }
}

/** Lower-case hex SHA-256 of a certificate's DER, the identity shared mode compares. */
export function certificateDigest(cert: X509Certificate | Buffer): string {
  const fp = (cert instanceof X509Certificate ? cert : new X509Certificate(cert)).fingerprint256;
  return fp.replace(/:/g, '').toLowerCase();
}

/** A certificate's notAfter as unix seconds (cluster status `cert_details.expiry_timestamp`). */
export function certificateExpiry(cert: X509Certificate): number {
  return Math.floor(new Date(cert.validTo).getTime() / 1000);
}

/** The CN of a certificate's subject, or null. */
export function certificateCommonName(cert: X509Certificate): string | null {
  for (const line of cert.subject.split('\n')) {
    if (line.startsWith('CN=')) return line.slice(3);
  }
  return null;
}
