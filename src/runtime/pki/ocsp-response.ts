import { createHash, verify, X509Certificate } from 'node:crypto';
import { EKU, validityProblem } from './chain-verify.js';
import {
  bitStringBytes,
  certificateParts,
  children,
  contents,
  expect,
  oidOf,
  raw,
  readRoot,
  TAG,
  timeOf,
  type Tlv,
} from './der-reader.js';
import { PkiError } from './errors.js';
import { OCSP_OIDS, type CertId } from './ocsp-request.js';

/** The status a responder gave one certificate. */
export type OcspCertStatus = 'good' | 'revoked' | 'unknown';

/** A validated answer about one certificate. */
export interface OcspAnswer {
  status: OcspCertStatus;
  thisUpdate: Date;
  nextUpdate: Date | null;
  revokedAt: Date | null;
}

const RESPONSE_STATUS: Record<number, string> = {
  1: 'malformedRequest',
  2: 'internalError',
  3: 'tryLater',
  5: 'sigRequired',
  6: 'unauthorized',
};

const SIG_HASH: Record<string, string> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

const HASH_OID: Record<string, CertId['hashAlgorithm']> = {
  [OCSP_OIDS.sha1]: 'sha1',
  [OCSP_OIDS.sha256]: 'sha256',
};

/** Clock skew tolerated on thisUpdate/nextUpdate (OpenSSL's OCSP_check_validity uses 300 s too). */
const SKEW_MS = 300_000;

/** What validation compares the response with. */
export interface OcspExpectation {
  /** The CA that issued the certificate: it, or a responder it delegated to, must have signed. */
  issuer: X509Certificate;
  /** The certificate asked about (the CertID must match, under whichever hash the responder used). */
  cert: X509Certificate;
  nonce: Buffer | null;
  now: Date;
}

const invalid = (why: string) => new PkiError(`OCSP response invalid: ${why}`, { field: 'ocsp' });

interface Single {
  certId: Tlv;
  status: OcspCertStatus;
  revokedAt: Date | null;
  thisUpdate: Date;
  nextUpdate: Date | null;
}

function parseSingle(t: Tlv): Single {
  const f = children(expect(t, TAG.SEQUENCE, 'SingleResponse'), 'SingleResponse');
  const certId = expect(f[0], TAG.SEQUENCE, 'certID');
  const st = f[1];
  let status: OcspCertStatus;
  let revokedAt: Date | null = null;
  if (st?.tag === TAG.ctx(0, false)) status = 'good';
  else if (st?.tag === TAG.ctx(1, true)) {
    status = 'revoked';
    revokedAt = timeOf(
      expect(children(st, 'RevokedInfo')[0], TAG.GENERALIZED_TIME, 'revocationTime'),
      'revocationTime',
    );
  } else if (st?.tag === TAG.ctx(2, false)) status = 'unknown';
  else throw invalid('unrecognised certStatus');
  const thisUpdate = timeOf(expect(f[2], TAG.GENERALIZED_TIME, 'thisUpdate'), 'thisUpdate');
  const nu = f[3]?.tag === TAG.ctx(0, true) ? f[3] : undefined;
  const nextUpdate = nu
    ? timeOf(expect(children(nu, 'nextUpdate')[0], TAG.GENERALIZED_TIME, 'nextUpdate'), 'nextUpdate')
    : null;
  return { certId, status, revokedAt, thisUpdate, nextUpdate };
}

function certIdMatches(t: Tlv, exp: OcspExpectation): boolean {
  const f = children(t, 'certID');
  const alg =
    HASH_OID[
      oidOf(children(expect(f[0], TAG.SEQUENCE, 'hashAlgorithm'), 'hashAlgorithm')[0]!, 'hashAlgorithm')
    ];
  if (!alg) return false;
  const issuer = certificateParts(exp.issuer.raw);
  const serial = contents(certificateParts(exp.cert.raw).serial);
  return (
    contents(expect(f[1], TAG.OCTET_STRING, 'issuerNameHash')).equals(
      createHash(alg).update(issuer.subject).digest(),
    ) &&
    contents(expect(f[2], TAG.OCTET_STRING, 'issuerKeyHash')).equals(
      createHash(alg).update(issuer.publicKeyBits).digest(),
    ) &&
    contents(expect(f[3], TAG.INTEGER, 'serialNumber')).equals(serial)
  );
}

/** The nonce a response echoes, or null. */
function responseNonce(ext: Tlv | undefined): Buffer | null {
  if (!ext) return null;
  for (const e of children(
    expect(children(ext, 'responseExtensions')[0], TAG.SEQUENCE, 'Extensions'),
    'Extensions',
  )) {
    const f = children(e, 'Extension');
    if (oidOf(f[0]!, 'extnID') !== OCSP_OIDS.nonce) continue;
    const value = contents(expect(f[f.length - 1], TAG.OCTET_STRING, 'extnValue'));
    // RFC 8954 wraps the nonce in an OCTET STRING; some responders send it bare.
    return value[0] === TAG.OCTET_STRING && value[1] === value.length - 2 ? value.subarray(2) : value;
  }
  return null;
}

/** The certificate that signed the response: the issuer itself, or a delegated OCSP signer it issued. */
function findSigner(responderId: Tlv, certs: X509Certificate[], exp: OcspExpectation): X509Certificate {
  const candidates = [exp.issuer, ...certs];
  const byName = responderId.tag === TAG.ctx(1, true);
  const want = contents(
    expect(children(responderId, 'responderID')[0], byName ? TAG.SEQUENCE : TAG.OCTET_STRING, 'responderID'),
  );
  const named = candidates.find((c) => {
    const p = certificateParts(c.raw);
    return byName
      ? raw(children(responderId, 'responderID')[0]!).equals(p.subject)
      : createHash('sha1').update(p.publicKeyBits).digest().equals(want);
  });
  if (!named) throw invalid('no certificate matches the responder ID');
  if (named === exp.issuer) return named;
  // A delegated responder (RFC 6960 §4.2.2.2): issued by the CA, with the OCSP Signing usage, valid now.
  if (!(named.checkIssued(exp.issuer) && named.verify(exp.issuer.publicKey)))
    throw invalid("the responder certificate was not issued by the certificate's CA");
  if (!(named.keyUsage ?? []).includes(EKU.ocspSigning))
    throw invalid('the responder certificate lacks the OCSP Signing usage');
  const v = validityProblem(named, exp.now, 'responder certificate');
  if (v) throw invalid(v);
  return named;
}

/**
 * Parses and validates a DER OCSPResponse for one certificate: successful status, basic response type,
 * signature by the issuer or its delegated responder, matching CertID, nonce (when echoed) and a
 * current thisUpdate/nextUpdate window. Throws PkiError with the reason; returns the status otherwise.
 */
export function validateOcspResponse(der: Buffer, exp: OcspExpectation): OcspAnswer {
  const top = children(readRoot(der, 'OCSPResponse'), 'OCSPResponse');
  const statusTlv = expect(top[0], TAG.ENUMERATED, 'responseStatus');
  const code = contents(statusTlv)[0] ?? -1;
  if (code !== 0) throw invalid(`responder answered ${RESPONSE_STATUS[code] ?? `status ${code}`}`);
  const rb = children(expect(top[1], TAG.ctx(0, true), 'responseBytes'), 'responseBytes');
  const rbf = children(expect(rb[0], TAG.SEQUENCE, 'ResponseBytes'), 'ResponseBytes');
  if (oidOf(rbf[0]!, 'responseType') !== OCSP_OIDS.basicResponse) throw invalid('not a basic OCSP response');
  const basicDer = contents(expect(rbf[1], TAG.OCTET_STRING, 'response'));
  const basic = children(readRoot(Buffer.from(basicDer), 'BasicOCSPResponse'), 'BasicOCSPResponse');
  const tbs = expect(basic[0], TAG.SEQUENCE, 'tbsResponseData');
  const sigAlg = oidOf(
    children(expect(basic[1], TAG.SEQUENCE, 'signatureAlgorithm'), 'signatureAlgorithm')[0]!,
    'signatureAlgorithm',
  );
  const signature = bitStringBytes(expect(basic[2], TAG.BIT_STRING, 'signature'), 'signature');
  const certs =
    basic[3]?.tag === TAG.ctx(0, true)
      ? children(expect(children(basic[3], 'certs')[0], TAG.SEQUENCE, 'certs'), 'certs').map(
          (c) => new X509Certificate(raw(c)),
        )
      : [];
  const hash = SIG_HASH[sigAlg];
  if (!hash) throw invalid(`unsupported signature algorithm ${sigAlg}`);

  const f = children(tbs, 'tbsResponseData');
  const o = f[0]?.tag === TAG.ctx(0, true) ? 1 : 0;
  const responderId = f[o];
  if (!responderId || (responderId.tag !== TAG.ctx(1, true) && responderId.tag !== TAG.ctx(2, true)))
    throw invalid('bad responderID');
  const responses = children(expect(f[o + 2], TAG.SEQUENCE, 'responses'), 'responses');
  const ext = f[o + 3]?.tag === TAG.ctx(1, true) ? f[o + 3] : undefined;

  const signer = findSigner(responderId, certs, exp);
  if (!verify(hash, raw(tbs), signer.publicKey, signature)) throw invalid('signature does not verify');

  const single = responses.map(parseSingle).find((s) => certIdMatches(s.certId, exp));
  if (!single) throw invalid('no answer for the certificate asked about');
  const echoed = responseNonce(ext);
  if (exp.nonce && echoed && !echoed.equals(exp.nonce)) throw invalid('nonce does not match the request');
  const now = exp.now.getTime();
  if (single.thisUpdate.getTime() > now + SKEW_MS)
    throw invalid(`thisUpdate ${single.thisUpdate.toISOString()} is in the future`);
  if (single.nextUpdate && single.nextUpdate.getTime() < now - SKEW_MS) {
    throw invalid(`stale: nextUpdate ${single.nextUpdate.toISOString()} has passed`);
  }
  return {
    status: single.status,
    thisUpdate: single.thisUpdate,
    nextUpdate: single.nextUpdate,
    revokedAt: single.revokedAt,
  };
}
