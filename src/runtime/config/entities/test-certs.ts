import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createCertificate } from '../../pki/create-certificate.js';

/** Test helper: a self-signed certificate and its key in PEM (EC P-256 or RSA), optionally a CA. */
export function selfSigned(opts: { ca?: boolean; rsa?: boolean; cn?: string; expired?: boolean } = {}): {
  cert: string;
  key: string;
} {
  const pair = opts.rsa
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const now = Date.now();
  const notAfter = new Date(opts.expired ? now - 86400_000 : now + 86400_000);
  const { pem } = createCertificate({
    subject: { CN: opts.cn ?? 'example.test' },
    publicKey: pair.publicKey,
    signingKey: pair.privateKey as KeyObject,
    notBefore: new Date(now - 2 * 86400_000),
    notAfter,
    ...(opts.ca ? { extensions: { basicConstraints: { ca: true } } } : {}),
  });
  return { cert: pem, key: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}
