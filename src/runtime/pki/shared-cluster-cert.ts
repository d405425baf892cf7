import { generateKeyPairSync } from 'node:crypto';
import { createCertificate } from './create-certificate.js';
import { PkiError } from './errors.js';

/** The subject CN Kong's `hybrid gen_cert` writes, which DPs also send as SNI in shared mode. */
export const SHARED_CLUSTER_CN = 'kong_clustering';

/** `kong hybrid gen_cert`'s default validity: three years. */
export const DEFAULT_SHARED_CERT_DAYS = 1095;

/** A certificate/key pair in PEM form (key in PKCS#8). */
export interface PemPair {
  certPem: string;
  keyPem: string;
}

/**
 * The shared-mode cluster certificate (seed 002 "Generating Certificate/Key Pair"): an EC P-384 key and
 * a self-signed certificate with CN kong_clustering, used by both planes as server and client cert.
 */
export function generateSharedClusterCertificate(opts: { days?: number; now?: Date } = {}): PemPair {
  const days = opts.days ?? DEFAULT_SHARED_CERT_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > 36500) {
    throw new PkiError(`days must be an integer from 1 to 36500, got ${String(days)}`, { field: 'days' });
  }
  const now = opts.now ?? new Date();
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
  // Backdated a minute so a peer whose clock lags slightly still accepts a fresh certificate.
  const notBefore = new Date(now.getTime() - 60_000);
  const notAfter = new Date(now.getTime() + days * 86_400_000);
  const cert = createCertificate({
    subject: { CN: SHARED_CLUSTER_CN },
    publicKey: privateKey,
    signingKey: privateKey,
    notBefore,
    notAfter,
    extensions: {
      // The one certificate is its own trust anchor on both sides, so it may sign (itself).
      basicConstraints: { ca: true },
      keyUsage: ['digitalSignature', 'keyEncipherment', 'keyCertSign'],
      extKeyUsage: ['serverAuth', 'clientAuth'],
    },
  });
  return { certPem: cert.pem, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}
