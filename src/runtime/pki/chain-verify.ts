import type { X509Certificate } from 'node:crypto';
import { PkiError } from './errors.js';

/** Extended key usage OIDs that PKI mode requires (seed 002: CP serverAuth, DP clientAuth). */
export const EKU = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
  anyExtendedKeyUsage: '2.5.29.37.0',
} as const;

/** The names openssl prints for the usages, so log lines read like `openssl x509 -text`. */
const EKU_NAMES: Record<string, string> = {
  [EKU.serverAuth]: 'TLS Web Server Authentication',
  [EKU.clientAuth]: 'TLS Web Client Authentication',
  [EKU.ocspSigning]: 'OCSP Signing',
};

/**
 * At most three intermediate CAs between the root and a node certificate (seed 002; Kong's nginx
 * `ssl_verify_depth 4` counts the leaf too).
 */
export const MAX_INTERMEDIATES = 3;

/** What a chain is checked against. */
export interface ChainCheck {
  /** Trust anchors: self-signed CA certificates (cluster_ca_cert). */
  roots: readonly X509Certificate[];
  /** The usage the leaf must carry. */
  purpose: 'serverAuth' | 'clientAuth';
  /** Who is checked, for the reasons ("control plane", "data plane"). */
  peer: string;
  now?: Date;
  maxIntermediates?: number;
}

/** A verified path: leaf, the intermediates in order, and the root that anchors it. */
export interface VerifiedPath {
  leaf: X509Certificate;
  intermediates: X509Certificate[];
  root: X509Certificate;
  /** The certificate that issued the leaf (first intermediate, or the root). */
  issuer: X509Certificate;
}

/** The verdict on a chain: a path, or a reason a person can act on. */
export type ChainVerdict = { ok: true; path: VerifiedPath } | { ok: false; reason: string };

/** A human name for a certificate in reasons: its subject on one line. */
export function describeCertificate(cert: X509Certificate): string {
  return cert.subject.split('\n').join(', ') || `serial ${cert.serialNumber}`;
}

/** True when the certificate names itself as issuer and its own key verifies its signature. */
export function isSelfSigned(cert: X509Certificate): boolean {
  return cert.checkIssued(cert) && cert.verify(cert.publicKey);
}

/** True when `issuer` names and signed `cert` (the name check first: verify() is the expensive part). */
function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** Why a certificate is outside its validity period at `now`, or null when it is within it. */
export function validityProblem(cert: X509Certificate, now: Date, role: string): string | null {
  const from = new Date(cert.validFrom);
  const to = new Date(cert.validTo);
  if (now < from)
    return `${role} ${describeCertificate(cert)} is not yet valid (notBefore ${from.toISOString()})`;
  if (now > to) return `${role} ${describeCertificate(cert)} has expired (notAfter ${to.toISOString()})`;
  return null;
}

/** The name of an EKU OID as openssl prints it. */
export function ekuName(oid: string): string {
  return EKU_NAMES[oid] ?? oid;
}

/**
 * Checks that cluster_ca_cert holds only root CAs (self-signed, CA:TRUE) and returns them; an
 * intermediate there is a startup error naming it (issue 5: the trust root must be the root).
 */
export function assertRootCertificates(
  certs: readonly X509Certificate[],
  field = 'cluster_ca_cert',
): X509Certificate[] {
  if (certs.length === 0) throw new PkiError(`${field} holds no certificate`, { field });
  for (const [i, c] of certs.entries()) {
    if (!c.ca) {
      throw new PkiError(
        `${field} certificate ${i + 1} (${describeCertificate(c)}) is not a CA (expected a root CA with CA:TRUE)`,
        { field },
      );
    }
    if (!isSelfSigned(c)) {
      throw new PkiError(
        `${field} certificate ${i + 1} (${describeCertificate(c)}) is an intermediate CA issued by ` +
          `${c.issuer.split('\n').join(', ')} (expected the self-signed root CA)`,
        { field },
      );
    }
  }
  return [...certs];
}

/**
 * Verifies a peer's chain as sent (leaf first, intermediates in any order, the root optional) against
 * the roots: builds the path by signature, checks every certificate's validity, CA:TRUE on issuers, the
 * intermediate count and the leaf's EKU. Pure apart from the signature checks; never throws.
 */
export function verifyChain(chain: readonly X509Certificate[], check: ChainCheck): ChainVerdict {
  const now = check.now ?? new Date();
  const max = check.maxIntermediates ?? MAX_INTERMEDIATES;
  const leaf = chain[0];
  if (!leaf) return { ok: false, reason: `${check.peer} presented no certificate` };
  const leafValidity = validityProblem(leaf, now, `${check.peer} certificate`);
  if (leafValidity) return { ok: false, reason: leafValidity };
  const rootFps = new Set(check.roots.map((r) => r.fingerprint256));
  // Untrusted candidates: what the peer sent apart from the leaf and any copy of a trusted root.
  const pool = chain.slice(1).filter((c) => !rootFps.has(c.fingerprint256));
  const intermediates: X509Certificate[] = [];
  let cur = leaf;
  for (;;) {
    const root = check.roots.find((r) => issuedBy(cur, r));
    if (root) {
      const rootValidity = validityProblem(root, now, 'root CA');
      if (rootValidity) return { ok: false, reason: rootValidity };
      if (intermediates.length > max) {
        return {
          ok: false,
          reason: `${check.peer} certificate chain has ${intermediates.length} intermediate CAs (at most ${max} are allowed between the root and the node certificate)`,
        };
      }
      const eku = leafEkuProblem(leaf, check.purpose, check.peer);
      if (eku) return { ok: false, reason: eku };
      return { ok: true, path: { leaf, intermediates, root, issuer: intermediates[0] ?? root } };
    }
    const next = pool.find((c) => !intermediates.includes(c) && c !== cur && issuedBy(cur, c));
    if (!next) {
      const what = cur === leaf ? `${check.peer} certificate` : `intermediate ${describeCertificate(cur)}`;
      return {
        ok: false,
        reason: `${what} is not issued by cluster_ca_cert (issuer ${cur.issuer.split('\n').join(', ')} is not a trusted root and no sent intermediate signed it)`,
      };
    }
    if (!next.ca) {
      return {
        ok: false,
        reason: `${describeCertificate(next)} signed a certificate but is not a CA (CA:TRUE missing)`,
      };
    }
    const v = validityProblem(next, now, 'intermediate CA');
    if (v) return { ok: false, reason: v };
    intermediates.push(next);
    // A loop or an absurd chain cannot run forever: stop one past what could ever be allowed.
    if (intermediates.length > max + 8) {
      return { ok: false, reason: `${check.peer} certificate chain is longer than ${max} intermediates` };
    }
    cur = next;
  }
}

/** Why a leaf lacks the usage it needs, or null. No EKU extension at all means "any" (RFC 5280). */
export function leafEkuProblem(
  leaf: X509Certificate,
  purpose: 'serverAuth' | 'clientAuth',
  peer: string,
): string | null {
  const usages = leaf.keyUsage as string[] | undefined;
  if (usages === undefined || usages.length === 0) return null;
  if (usages.includes(EKU[purpose]) || usages.includes(EKU.anyExtendedKeyUsage)) return null;
  const has = usages.map(ekuName).join(', ');
  return `${peer} certificate lacks the extended key usage "${ekuName(EKU[purpose])}" (it has: ${has})`;
}
