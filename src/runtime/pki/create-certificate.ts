import { createHash, createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { PkiError } from './errors.js';
import {
  type Asn1Node,
  explicit,
  fromDer,
  int,
  nul,
  oid,
  printable,
  seq,
  set,
  time,
  toDer,
  uintBytes,
  utf8,
  bits,
} from './asn1-der.js';
import { type CertificateExtensions, encodeExtensions, extensionsField } from './x509-extensions.js';

/** A distinguished name; attributes are written in the conventional C, ST, L, O, OU, CN order. */
export interface DistinguishedName {
  C?: string;
  ST?: string;
  L?: string;
  O?: string;
  OU?: string;
  CN?: string;
}

const DN_OIDS: [keyof DistinguishedName, string][] = [
  ['C', '2.5.4.6'],
  ['ST', '2.5.4.8'],
  ['L', '2.5.4.7'],
  ['O', '2.5.4.10'],
  ['OU', '2.5.4.11'],
  ['CN', '2.5.4.3'],
];

/** What a certificate is made from. `issuer`/`signingKey` equal to the subject's own make it self-signed. */
export interface CreateCertificateInput {
  subject: DistinguishedName;
  /** The issuer's subject; defaults to `subject` (self-signed). */
  issuer?: DistinguishedName;
  /**
   * The issuer's subject exactly as encoded in its certificate (wins over `issuer`): chains to a CA made
   * by other tools keep its attribute order and string types.
   */
  issuerNameDer?: Buffer;
  /** The certificate's public key (the private key is accepted and its public half used). */
  publicKey: KeyObject;
  /** The issuer's private key, which signs. */
  signingKey: KeyObject;
  /** The issuer's public key, for the authority key identifier; defaults to signingKey's public half. */
  issuerPublicKey?: KeyObject;
  /** Unsigned big-endian serial; defaults to 16 random bytes (RFC 5280: positive, at most 20 bytes). */
  serial?: Buffer;
  notBefore: Date;
  notAfter: Date;
  extensions?: CertificateExtensions;
}

/** A built certificate in both encodings. */
export interface CreatedCertificate {
  der: Buffer;
  pem: string;
}

function encodeName(dn: DistinguishedName, field: string): Asn1Node {
  const rdns: Asn1Node[] = [];
  for (const [key, id] of DN_OIDS) {
    const v = dn[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.length === 0 || v.length > 64) {
      throw new PkiError(`${field}.${key} must be a string of 1 to 64 characters`, {
        field: `${field}.${key}`,
      });
    }
    if (key === 'C' && !/^[A-Z]{2}$/.test(v)) {
      throw new PkiError(`${field}.C must be a two-letter country code, got "${v}"`, { field: `${field}.C` });
    }
    rdns.push(set([seq([oid(id), key === 'C' ? printable(v) : utf8(v)])]));
  }
  if (rdns.length === 0) throw new PkiError(`${field} must have at least one attribute`, { field });
  return seq(rdns);
}

/** The signature algorithm follows the signing key: ECDSA with the curve's matching hash, RSA with SHA-256. */
function signatureAlgorithm(key: KeyObject): { hash: string; algId: Asn1Node } {
  if (key.type !== 'private') throw new PkiError('signingKey must be a private key', { field: 'signingKey' });
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'secp384r1') return { hash: 'sha384', algId: seq([oid('1.2.840.10045.4.3.3')]) };
    if (curve === 'secp521r1') return { hash: 'sha512', algId: seq([oid('1.2.840.10045.4.3.4')]) };
    if (curve === 'prime256v1') return { hash: 'sha256', algId: seq([oid('1.2.840.10045.4.3.2')]) };
    throw new PkiError(`unsupported EC curve ${curve ?? 'unknown'} (expected P-256, P-384 or P-521)`, {
      field: 'signingKey',
    });
  }
  if (key.asymmetricKeyType === 'rsa') {
    return { hash: 'sha256', algId: seq([oid('1.2.840.113549.1.1.11'), nul()]) };
  }
  throw new PkiError(`unsupported key type ${key.asymmetricKeyType ?? 'unknown'} (expected EC or RSA)`, {
    field: 'signingKey',
  });
}

function spkiOf(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.export({ type: 'spki', format: 'der' });
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING contents. */
function keyIdentifier(spkiDer: Buffer): Buffer {
  // SPKI = SEQUENCE { AlgorithmIdentifier, BIT STRING }; the BIT STRING is the last element.
  const node = fromDer(spkiDer) as unknown as { value: { value: string }[] };
  const bitString = node.value[1]?.value ?? '';
  return createHash('sha1').update(Buffer.from(bitString, 'binary').subarray(1)).digest();
}

/** PEM armour for a DER certificate. */
export function derToPem(der: Buffer, label = 'CERTIFICATE'): string {
  const b64 = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/**
 * Builds and signs an X.509 v3 certificate with node:crypto only (no openssl at run time). Shared-mode
 * `gen_cert` uses it for a self-signed certificate; PKI mode uses it for CAs, intermediates and leaves.
 */
export function createCertificate(input: CreateCertificateInput): CreatedCertificate {
  const { notBefore, notAfter } = input;
  if (!(notBefore instanceof Date) || Number.isNaN(notBefore.getTime())) {
    throw new PkiError('notBefore must be a valid date', { field: 'notBefore' });
  }
  if (!(notAfter instanceof Date) || Number.isNaN(notAfter.getTime()) || notAfter <= notBefore) {
    throw new PkiError('notAfter must be a valid date after notBefore', { field: 'notAfter' });
  }
  const serial = input.serial ?? randomSerial();
  if (serial.length === 0 || serial.length > 20 || serial.every((b) => b === 0)) {
    throw new PkiError('serial must be 1 to 20 bytes and not zero', { field: 'serial' });
  }
  const { hash, algId } = signatureAlgorithm(input.signingKey);
  const spki = spkiOf(input.publicKey);
  const ski = keyIdentifier(spki);
  const issuerSpki = spkiOf(input.issuerPublicKey ?? input.signingKey);
  const aki = keyIdentifier(issuerSpki);
  const selfIssued = input.issuer === undefined && input.issuerNameDer === undefined;
  const tbsParts: Asn1Node[] = [
    explicit(0, int(2)),
    uintBytes(serial),
    algId,
    input.issuerNameDer
      ? fromDer(input.issuerNameDer)
      : encodeName(input.issuer ?? input.subject, input.issuer ? 'issuer' : 'subject'),
    seq([time(notBefore), time(notAfter)]),
    encodeName(input.subject, 'subject'),
    fromDer(spki),
    extensionsField(encodeExtensions(input.extensions ?? {}, ski, selfIssued && ski.equals(aki) ? ski : aki)),
  ];
  const tbs = toDer(seq(tbsParts));
  const signature = sign(hash, tbs, input.signingKey);
  const der = toDer(seq([fromDer(tbs), algId, bits(signature)]));
  return { der, pem: derToPem(der) };
}

/** A positive 128-bit serial (top bit cleared so no sign byte is needed, and never zero). */
function randomSerial(): Buffer {
  const s = randomBytes(16);
  s[0] = ((s[0] ?? 0) & 0x7f) | 0x01;
  return s;
}
