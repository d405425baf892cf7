import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { rootCertificates, type DetailedPeerCertificate, type PeerCertificate } from 'node:tls';
import {
  assertRootCertificates,
  verifyChain,
  type ChainVerdict,
  type VerifiedPath,
} from '../pki/chain-verify.js';
import {
  assertKeyMatchesCertificate,
  certificateExpiry,
  parseCertificateChainPem,
  parsePrivateKeyPem,
} from '../pki/cert-inspect.js';
import { PkiError } from '../pki/errors.js';
import type { ClusterTlsPolicy, PeerVerdict } from './tls-policy.js';

/** Decides whether a verified DP chain passes revocation checks (cluster_ocsp); see ocsp-checker. */
export type RevocationCheck = (path: VerifiedPath) => Promise<PeerVerdict>;

/** The material and names of PKI mode. */
export interface PkiTlsPolicyInput {
  /** cluster_cert: the node certificate, optionally followed by its intermediates. */
  certPem: string;
  keyPem: string;
  /** cluster_ca_cert: root CA(s). Null only on a DP, which then trusts the system roots (Kong). */
  caPem: string | null;
  /**
   * DP only: the name the CP certificate must carry, sent as SNI (cluster_server_name, else the host
   * of cluster_control_plane; for telemetry cluster_telemetry_server_name first).
   */
  serverName?: string;
  /** CP only: cluster_ocsp's check, null when off. */
  revocation?: RevocationCheck | null;
  /** Injected clock for validity checks (tests). */
  now?: () => Date;
}

let systemRoots: X509Certificate[] | null = null;
function parsedSystemRoots(): X509Certificate[] {
  systemRoots ??= rootCertificates.map((pem) => new X509Certificate(pem));
  return systemRoots;
}

/** Rebuilds the chain (leaf first) from the detailed peer certificate checkServerIdentity receives. */
function chainFromPeer(peer: PeerCertificate): X509Certificate[] {
  const out: X509Certificate[] = [];
  const seen = new Set<string>();
  let cur = peer as DetailedPeerCertificate | undefined;
  while (cur?.raw && !seen.has(cur.fingerprint256)) {
    seen.add(cur.fingerprint256);
    out.push(new X509Certificate(cur.raw));
    cur = cur.issuerCertificate;
  }
  return out;
}

/** Why the CP certificate does not carry `name` (CN or SAN, as OpenSSL's hostname check), or null. */
export function serverNameProblem(leaf: X509Certificate, name: string): string | null {
  const match = isIP(name) ? leaf.checkIP(name) : leaf.checkHost(name);
  if (match !== undefined) return null;
  const san = leaf.subjectAltName ?? 'none';
  return `control plane certificate does not match server name "${name}" (subject ${leaf.subject.split('\n').join(', ')}; SANs: ${san})`;
}

/**
 * PKI mode (seed 002, issue 5): both sides present CA-issued certificates and verify the peer against
 * cluster_ca_cert (a root; up to three intermediates; EKU serverAuth for the CP, clientAuth for DPs; the
 * DP's CN is not checked). The DP sends the server name as SNI and checks the CP certificate's CN/SAN.
 * Throws PkiError at construction for unusable material (a startup error).
 */
export function createPkiTlsPolicy(input: PkiTlsPolicyInput): ClusterTlsPolicy {
  const now = input.now ?? (() => new Date());
  const chain = parseCertificateChainPem(input.certPem, 'cluster_cert');
  const leaf = chain[0]!;
  const key = parsePrivateKeyPem(input.keyPem, 'cluster_cert_key');
  assertKeyMatchesCertificate(leaf, key);
  const roots =
    input.caPem === null
      ? null
      : assertRootCertificates(parseCertificateChainPem(input.caPem, 'cluster_ca_cert'));
  const trusted = () => roots ?? parsedSystemRoots();
  const serverName = input.serverName;
  const toVerdict = (v: ChainVerdict): PeerVerdict =>
    v.ok ? { ok: true, expiry: certificateExpiry(v.path.leaf) } : { ok: false, reason: v.reason };

  const checkServer = (peerChain: readonly X509Certificate[]): PeerVerdict => {
    const v = verifyChain(peerChain, {
      roots: trusted(),
      purpose: 'serverAuth',
      peer: 'control plane',
      now: now(),
    });
    if (!v.ok) return { ok: false, reason: v.reason };
    if (serverName) {
      const problem = serverNameProblem(v.path.leaf, serverName);
      if (problem) return { ok: false, reason: problem };
    }
    return toVerdict(v);
  };

  return {
    mode: 'pki',
    serverOptions: () => {
      if (!roots)
        throw new PkiError('cluster_ca_cert is required on the control plane in pki mode', {
          field: 'cluster_ca_cert',
        });
      return {
        cert: input.certPem,
        key: input.keyPem,
        ca: input.caPem ?? undefined,
        requestCert: true,
        // The handshake always completes; verifyClient decides afterwards so the refusal is logged
        // with its reason (expired, EKU, depth, OCSP) rather than lost in a TLS alert.
        rejectUnauthorized: false,
        minVersion: 'TLSv1.2',
      };
    },
    verifyClient: (peerChain) => {
      const v = verifyChain(peerChain, {
        roots: trusted(),
        purpose: 'clientAuth',
        peer: 'data plane',
        now: now(),
      });
      if (!v.ok || !input.revocation) return toVerdict(v);
      return input.revocation(v.path);
    },
    clientOptions: () => ({
      cert: input.certPem,
      key: input.keyPem,
      ...(input.caPem !== null ? { ca: input.caPem } : {}),
      // SNI may not carry an IP address (RFC 6066); the identity check below still applies to it.
      ...(serverName && isIP(serverName) === 0 ? { servername: serverName } : {}),
      minVersion: 'TLSv1.2',
      rejectUnauthorized: true,
      // Runs after OpenSSL's own chain verification: adds the depth, EKU and name rules with reasons.
      checkServerIdentity: (_host: string, peer: PeerCertificate) => {
        const v = checkServer(chainFromPeer(peer));
        return v.ok ? undefined : Object.assign(new Error(v.reason), { code: 'HG_ERR_CLUSTER_CERT' });
      },
    }),
    verifyServer: checkServer,
  };
}
