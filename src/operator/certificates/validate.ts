import { createPrivateKey } from 'node:crypto';
import { bundleCertificates, firstCertificate, reason, type SecretText } from './secrets.js';

/** What validating a certificate Secret found: problems (empty when usable) and the leaf's expiry. */
export interface PairValidation {
  problems: string[];
  notAfter?: number;
}

/**
 * Checks a certificate Secret's content the way the runtime will at startup, so a bad Secret shows in a
 * condition instead of a crash-looping pod: tls.crt parses, tls.key parses and matches it, it is valid
 * now, and (when `requireCa`) ca.crt holds at least one certificate that verifies the leaf.
 */
export function validateCertificateSecret(
  name: string,
  data: SecretText | undefined,
  opts: { now: number; requireCa: boolean; isCa?: boolean },
): PairValidation {
  if (!data) return { problems: [`Secret ${name} does not exist`] };
  const problems: string[] = [];
  const crt = data['tls.crt'];
  const key = data['tls.key'];
  if (!crt) problems.push(`Secret ${name}: key tls.crt is missing`);
  if (!key) problems.push(`Secret ${name}: key tls.key is missing`);
  const cert = firstCertificate(crt);
  if (crt && !cert) problems.push(`Secret ${name}: tls.crt holds no parsable PEM certificate`);
  if (cert && key) {
    try {
      if (!cert.checkPrivateKey(createPrivateKey(key)))
        problems.push(`Secret ${name}: tls.key does not match the certificate in tls.crt`);
    } catch (err) {
      problems.push(`Secret ${name}: tls.key is not a valid private key (${reason(err)})`);
    }
  }
  let notAfter: number | undefined;
  if (cert) {
    notAfter = new Date(cert.validTo).getTime();
    if (notAfter <= opts.now)
      problems.push(`Secret ${name}: the certificate expired at ${new Date(notAfter).toISOString()}`);
    if (new Date(cert.validFrom).getTime() > opts.now)
      problems.push(`Secret ${name}: the certificate is not valid before ${cert.validFrom}`);
    if (opts.isCa && !cert.ca)
      problems.push(`Secret ${name}: tls.crt is not a CA certificate (basicConstraints CA:TRUE expected)`);
  }
  if (opts.requireCa) {
    const bundle = bundleCertificates(data['ca.crt']);
    if (bundle.length === 0)
      problems.push(`Secret ${name}: key ca.crt (the CA bundle) is missing or holds no certificate`);
    else if (cert && !bundle.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey))) {
      problems.push(`Secret ${name}: no certificate in ca.crt signed tls.crt`);
    }
  }
  return { problems, ...(notAfter !== undefined ? { notAfter } : {}) };
}
