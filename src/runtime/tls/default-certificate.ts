import { generateKeyPair, randomBytes, X509Certificate, createPrivateKey } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { HybridgateError } from '../../shared/errors.js';

/**
 * The self-signed certificate a TLS listener (`admin_listen ... ssl`, `proxy_listen ... ssl`) uses when
 * the conf gives none, as Kong generates `<prefix>/ssl/*-default.crt` at start. Kept across restarts so
 * clients that pinned it keep working; regenerated only when missing, unreadable, mismatched or expiring.
 */

/** A certificate and its key, PEM, with where they live on disk. */
export interface DefaultCertificate {
  cert: string;
  key: string;
  certPath: string;
  keyPath: string;
}

/** The default certificate could not be read or written (a prefix that is not writable, a full disk). */
export class DefaultCertificateError extends HybridgateError {
  constructor(message: string, context: Record<string, unknown>, options?: ErrorOptions) {
    super('HG_ERR_DEFAULT_CERT', message, context, options);
  }
}

/** Validity of a generated certificate; it is renewed when less than RENEW_BEFORE_DAYS are left. */
export const DEFAULT_CERT_DAYS = 3650;
const RENEW_BEFORE_DAYS = 30;
const NAME_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;

const generateKeyPairAsync = promisify(generateKeyPair);

function usable(certPem: string, keyPem: string): boolean {
  try {
    const cert = new X509Certificate(certPem);
    const renewAt = Date.now() + RENEW_BEFORE_DAYS * 86_400_000;
    return cert.checkPrivateKey(createPrivateKey(keyPem)) && new Date(cert.validTo).getTime() > renewAt;
  } catch {
    return false;
  }
}

/** Builds a self-signed RSA 2048 certificate for CN=localhost (SANs localhost, 127.0.0.1, ::1). */
export async function createSelfSignedCertificate(
  days = DEFAULT_CERT_DAYS,
): Promise<{ cert: string; key: string }> {
  // Native key generation (off the event loop); forge only assembles and signs the X.509 structure.
  const { privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const key = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.rsa.setPublicKey(key.n, key.e);
  // A positive serial: clear the top bit so DER does not read it as negative.
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  cert.serialNumber = serial.toString('hex');
  const now = new Date();
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + days * 86_400_000);
  const subject = [
    { name: 'commonName', value: 'localhost' },
    { name: 'organizationName', value: 'Hybridgate' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 2, value: 'localhost' },
        { type: 7, ip: '127.0.0.1' },
        { type: 7, ip: '::1' },
      ],
    },
  ]);
  cert.sign(key, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: privateKey };
}

function writeAtomic(path: string, content: string, mode: number): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

/**
 * Returns the default certificate `<prefix>/ssl/<name>-default.{crt,key}`, creating it if needed.
 * `name` tells listeners apart (`admin`, `proxy`); the key file is 0600, the directory 0700.
 */
export async function ensureDefaultCertificate(prefix: string, name: string): Promise<DefaultCertificate> {
  if (!NAME_RE.test(name)) {
    throw new DefaultCertificateError(
      `invalid default certificate name '${name}' (expected ${NAME_RE.source})`,
      {
        name,
      },
    );
  }
  const dir = join(prefix, 'ssl');
  const certPath = join(dir, `${name}-default.crt`);
  const keyPath = join(dir, `${name}-default.key`);
  try {
    if (existsSync(certPath) && existsSync(keyPath)) {
      const cert = readFileSync(certPath, 'utf8');
      const key = readFileSync(keyPath, 'utf8');
      if (usable(cert, key)) return { cert, key, certPath, keyPath };
    }
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { cert, key } = await createSelfSignedCertificate();
    writeAtomic(keyPath, key, 0o600);
    writeAtomic(certPath, cert, 0o644);
    return { cert, key, certPath, keyPath };
  } catch (err) {
    if (err instanceof DefaultCertificateError) throw err;
    throw new DefaultCertificateError(
      `cannot prepare the default certificate in ${dir}: ${(err as Error).message}`,
      { dir, name },
      { cause: err },
    );
  }
}
