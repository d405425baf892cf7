import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createCertificate, type DistinguishedName } from '../../runtime/pki/create-certificate.js';
import { generateSharedClusterCertificate, type PemPair } from '../../runtime/pki/shared-cluster-cert.js';
import { parseCertificatePem, parsePrivateKeyPem } from '../../runtime/pki/cert-inspect.js';

/**
 * Issuing the cluster certificates with the runtime's pki module (the operator reuses it, never
 * duplicates it): CAs, CP server and DP client leaves, and the shared-mode pair. Keys are EC P-384,
 * as Kong's `hybrid gen_cert` makes them.
 */

export type { PemPair };

/** Certificates are backdated this much so a peer whose clock lags slightly accepts a fresh one. */
const BACKDATE_MS = 60_000;

function newKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey;
}

function pair(certPem: string, key: KeyObject): PemPair {
  return { certPem, keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/** A self-signed root CA valid from `now` for `validityMs`. */
export function issueCa(cn: string, now: number, validityMs: number): PemPair {
  const key = newKey();
  const cert = createCertificate({
    subject: { CN: cn, O: 'Hybridgate' },
    publicKey: key,
    signingKey: key,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + validityMs),
    extensions: {
      basicConstraints: { ca: true, pathLength: 0 },
      keyUsage: ['keyCertSign', 'cRLSign', 'digitalSignature'],
    },
  });
  return pair(cert.pem, key);
}

/** What a leaf is for: the CP's server certificate or a DP's client certificate. */
export interface LeafRequest {
  usage: 'server' | 'client';
  commonName: string;
  dnsNames?: string[];
  now: number;
  /** Capped at the CA's own expiry: a leaf never outlives its issuer. */
  notAfter: number;
}

/** A leaf signed by `ca` (serverAuth with SANs for the CP, clientAuth for DPs). */
export function issueLeaf(ca: PemPair, req: LeafRequest): PemPair {
  const caCert = parseCertificatePem(ca.certPem, 'ca tls.crt');
  const caKey = parsePrivateKeyPem(ca.keyPem, 'ca tls.key');
  const key = newKey();
  const issuer = subjectOf(caCert.subject);
  const notAfter = Math.min(req.notAfter, new Date(caCert.validTo).getTime());
  const cert = createCertificate({
    subject: { CN: req.commonName },
    issuer,
    publicKey: key,
    signingKey: caKey,
    notBefore: new Date(Math.max(req.now - BACKDATE_MS, new Date(caCert.validFrom).getTime())),
    notAfter: new Date(notAfter),
    extensions: {
      basicConstraints: { ca: false },
      keyUsage: ['digitalSignature', 'keyEncipherment'],
      extKeyUsage: [req.usage === 'server' ? 'serverAuth' : 'clientAuth'],
      ...(req.dnsNames?.length ? { subjectAltName: { dns: req.dnsNames } } : {}),
    },
  });
  return pair(cert.pem, key);
}

/** The shared-mode pair (CN kong_clustering, self-signed, both usages), valid for whole days. */
export function issueShared(now: number, validityMs: number): PemPair {
  return generateSharedClusterCertificate({
    days: Math.max(1, Math.ceil(validityMs / 86_400_000)),
    now: new Date(now),
  });
}

// X509Certificate.subject is "K=V" lines; the issuer field must repeat the CA's subject exactly.
function subjectOf(text: string): DistinguishedName {
  const dn: DistinguishedName = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    const k = line.slice(0, i) as keyof DistinguishedName;
    if (['C', 'ST', 'L', 'O', 'OU', 'CN'].includes(k)) dn[k] = line.slice(i + 1);
  }
  return dn;
}
