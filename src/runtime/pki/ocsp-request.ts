import { createHash, randomBytes, type X509Certificate } from 'node:crypto';
import { explicit, fromDer, nul, octets, oid, seq, toDer } from './asn1-der.js';
import { certificateParts, contents } from './der-reader.js';

/** OIDs of OCSP (RFC 6960). */
export const OCSP_OIDS = {
  basicResponse: '1.3.6.1.5.5.7.48.1.1',
  nonce: '1.3.6.1.5.5.7.48.1.2',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
} as const;

/** The identity of a certificate in OCSP: hashes of its issuer's name and key, and its serial. */
export interface CertId {
  hashAlgorithm: 'sha1' | 'sha256';
  issuerNameHash: Buffer;
  issuerKeyHash: Buffer;
  /** The serial INTEGER's contents octets exactly as in the certificate. */
  serial: Buffer;
}

/** A built request and what its answer must echo. */
export interface OcspRequest {
  der: Buffer;
  certId: CertId;
  nonce: Buffer;
}

/** Computes the CertID of `cert` issued by `issuer` with `hashAlgorithm`. */
export function certIdFor(
  cert: X509Certificate,
  issuer: X509Certificate,
  hashAlgorithm: CertId['hashAlgorithm'] = 'sha1',
): CertId {
  const c = certificateParts(cert.raw);
  const i = certificateParts(issuer.raw);
  return {
    hashAlgorithm,
    issuerNameHash: createHash(hashAlgorithm).update(i.subject).digest(),
    issuerKeyHash: createHash(hashAlgorithm).update(i.publicKeyBits).digest(),
    serial: Buffer.from(contents(c.serial)),
  };
}

/** A stable cache key for a CertID. */
export function certIdKey(id: CertId): string {
  return `${id.hashAlgorithm}:${id.issuerNameHash.toString('hex')}:${id.issuerKeyHash.toString('hex')}:${id.serial.toString('hex')}`;
}

/**
 * Encodes an unsigned OCSPRequest for one certificate with a nonce extension (RFC 6960 §4.1, RFC 8954).
 * SHA-1 CertIDs are what every responder understands (openssl ocsp included).
 */
export function buildOcspRequest(
  cert: X509Certificate,
  issuer: X509Certificate,
  nonce = randomBytes(16),
): OcspRequest {
  const certId = certIdFor(cert, issuer, 'sha1');
  const serialTlv = Buffer.concat([Buffer.from([0x02, certId.serial.length]), certId.serial]);
  const certIdNode = seq([
    seq([oid(OCSP_OIDS.sha1), nul()]),
    octets(certId.issuerNameHash),
    octets(certId.issuerKeyHash),
    fromDer(serialTlv),
  ]);
  const nonceExt = seq([oid(OCSP_OIDS.nonce), octets(toDer(octets(nonce)))]);
  const tbsRequest = seq([seq([seq([certIdNode])]), explicit(2, seq([nonceExt]))]);
  return { der: toDer(seq([tbsRequest])), certId, nonce };
}
