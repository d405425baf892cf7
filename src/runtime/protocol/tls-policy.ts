import { X509Certificate } from 'node:crypto';
import type {
  ConnectionOptions,
  PeerCertificate,
  DetailedPeerCertificate,
  TlsOptions,
  TLSSocket,
} from 'node:tls';
import {
  assertKeyMatchesCertificate,
  certificateCommonName,
  certificateDigest,
  certificateExpiry,
  parseCertificatePem,
  parsePrivateKeyPem,
} from '../pki/cert-inspect.js';
import { SHARED_SERVER_NAME } from './constants.js';

/** The verdict on a peer's certificate chain. */
export type PeerVerdict = { ok: true; expiry: number | null } | { ok: false; reason: string };

/**
 * How the cluster link authenticates both ends. Shared mode is below; PKI mode (CA-issued certs, EKU,
 * server name, OCSP) implements the same four methods, so the listener and the client stay unchanged.
 */
export interface ClusterTlsPolicy {
  readonly mode: 'shared' | 'pki';
  /** Options for the CP's https server: it asks for a client cert but decides itself (verifyClient). */
  serverOptions(): TlsOptions;
  /**
   * Checks the DP's chain (leaf first) after the handshake. PKI mode with cluster_ocsp answers
   * asynchronously (a responder is asked); the listener waits for the verdict before the upgrade.
   */
  verifyClient(chain: readonly X509Certificate[]): PeerVerdict | Promise<PeerVerdict>;
  /** Options for the DP's TLS connection to the CP (trust, SNI, identity check). */
  clientOptions(): ConnectionOptions;
  /** Checks the CP's chain (leaf first) after the handshake, before any frame is sent. */
  verifyServer(chain: readonly X509Certificate[]): PeerVerdict;
  /**
   * Subscribes to reloads of the certificate material (files rotated on disk); returns the
   * unsubscribe. Absent on policies that never change. Watching runs while anyone is subscribed.
   */
  onReload?(listener: () => void): () => void;
}

/**
 * Shared mode (seed 002): CP and DP hold the same certificate/key pair and each accepts exactly that
 * certificate from the other, compared by SHA-256 digest. Throws PkiError when the key does not
 * belong to the certificate (a startup error).
 */
export function createSharedTlsPolicy(certPem: string, keyPem: string): ClusterTlsPolicy {
  const cert = parseCertificatePem(certPem, 'cluster_cert');
  const key = parsePrivateKeyPem(keyPem, 'cluster_cert_key');
  assertKeyMatchesCertificate(cert, key);
  const digest = certificateDigest(cert);
  const verify = (who: string, chain: readonly X509Certificate[]): PeerVerdict => {
    const leaf = chain[0];
    if (!leaf) return { ok: false, reason: `${who} presented no certificate` };
    const got = certificateDigest(leaf);
    if (got !== digest) {
      return {
        ok: false,
        reason: `${who} certificate digest ${got.slice(0, 16)}… does not match cluster_cert digest ${digest.slice(0, 16)}…`,
      };
    }
    return { ok: true, expiry: certificateExpiry(leaf) };
  };
  return {
    mode: 'shared',
    serverOptions: () => ({
      cert: certPem,
      key: keyPem,
      requestCert: true,
      // The digest comparison replaces chain verification (a shared cert is its own anchor).
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    }),
    verifyClient: (chain) => verify('client', chain),
    clientOptions: () => ({
      cert: certPem,
      key: keyPem,
      ca: certPem,
      servername: SHARED_SERVER_NAME,
      minVersion: 'TLSv1.2',
      rejectUnauthorized: true,
      // Shared mode names the peer by CN only (the CP's address is not in the certificate).
      checkServerIdentity: (_host: string, peer: PeerCertificate) =>
        peer.subject?.CN === SHARED_SERVER_NAME
          ? undefined
          : new Error(
              `control plane certificate CN ${String(peer.subject?.CN)} is not ${SHARED_SERVER_NAME}`,
            ),
    }),
    verifyServer: (chain) => verify('server', chain),
  };
}

/** The peer's chain (leaf first) as X509Certificate objects; empty when it sent none. */
export function peerCertificateChain(socket: TLSSocket): X509Certificate[] {
  const out: X509Certificate[] = [];
  let cur = socket.getPeerCertificate(true) as DetailedPeerCertificate | undefined;
  const seen = new Set<string>();
  while (cur && cur.raw && !seen.has(cur.fingerprint256)) {
    seen.add(cur.fingerprint256);
    out.push(new X509Certificate(cur.raw));
    cur = cur.issuerCertificate;
  }
  return out;
}

/** The CN a policy would show for a peer's leaf, for log lines. */
export function peerCommonName(chain: readonly X509Certificate[]): string | null {
  return chain[0] ? certificateCommonName(chain[0]) : null;
}
