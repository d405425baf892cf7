import { isIP } from 'node:net';
import { PkiError } from './errors.js';
import {
  type Asn1Node,
  bits,
  bool,
  explicit,
  implicitPrimitive,
  int,
  octets,
  oid,
  seq,
  toDer,
} from './asn1-der.js';

/** RFC 5280 key usage bits, by the names openssl prints them with. */
export type KeyUsage =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign'
  | 'encipherOnly'
  | 'decipherOnly';

const KEY_USAGE_BITS: Record<KeyUsage, number> = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
};

/** Extended key usages PKI mode needs (seed 002: CP serverAuth, DP clientAuth) plus OCSP signing. */
export type ExtKeyUsage = 'serverAuth' | 'clientAuth' | 'codeSigning' | 'emailProtection' | 'ocspSigning';

const EKU_OIDS: Record<ExtKeyUsage, string> = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
};

/** Subject alternative names by kind. */
export interface SubjectAltNames {
  dns?: string[];
  ip?: string[];
  uri?: string[];
  email?: string[];
}

/** Authority information access: where an OCSP responder and the issuer certificate live. */
export interface AuthorityInfoAccess {
  ocsp?: string[];
  caIssuers?: string[];
}

/** The extensions `createCertificate` can write; all optional. */
export interface CertificateExtensions {
  basicConstraints?: { ca: boolean; pathLength?: number };
  keyUsage?: KeyUsage[];
  extKeyUsage?: ExtKeyUsage[];
  subjectAltName?: SubjectAltNames;
  authorityInfoAccess?: AuthorityInfoAccess;
}

function extension(id: string, critical: boolean, value: Asn1Node): Asn1Node {
  const parts = [oid(id)];
  if (critical) parts.push(bool(true));
  parts.push(octets(toDer(value)));
  return seq(parts);
}

function keyUsageBits(usages: KeyUsage[]): Asn1Node {
  let mask = 0;
  for (const u of usages) {
    const bit = KEY_USAGE_BITS[u];
    if (bit === undefined) throw new PkiError(`unknown key usage "${u}"`, { field: 'keyUsage' });
    mask |= 1 << bit;
  }
  if (mask === 0) throw new PkiError('keyUsage must name at least one usage', { field: 'keyUsage' });
  // Bit 0 is the most significant bit of the first byte; DER wants the shortest form with the
  // number of unused trailing bits stated.
  const bytes = mask > 0xff ? [0, 0] : [0];
  for (let b = 0; b < 9; b++) if (mask & (1 << b)) bytes[b >> 3] = (bytes[b >> 3] ?? 0) | (0x80 >> (b & 7));
  let highest = 0;
  for (let b = 0; b < 9; b++) if (mask & (1 << b)) highest = b;
  const unused = 7 - (highest & 7);
  return bits(Buffer.from(bytes), unused);
}

function ipBytes(ip: string): Buffer {
  const family = isIP(ip);
  if (family === 4) return Buffer.from(ip.split('.').map((p) => Number(p)));
  if (family === 6) {
    const [head = '', tail = ''] = ip.includes('::') ? ip.split('::') : [ip, ''];
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
    const out = Buffer.alloc(16);
    groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
    return out;
  }
  throw new PkiError(`subjectAltName ip "${ip}" is not an IPv4 or IPv6 address`, {
    field: 'subjectAltName.ip',
  });
}

function ascii(field: string, v: string): Buffer {
  if (!v || !/^[\x21-\x7e]+$/.test(v)) {
    throw new PkiError(`${field} "${v}" must be non-empty printable ASCII without spaces`, { field });
  }
  return Buffer.from(v, 'ascii');
}

function generalNames(san: SubjectAltNames): Asn1Node[] {
  const out: Asn1Node[] = [];
  for (const e of san.email ?? []) out.push(implicitPrimitive(1, ascii('subjectAltName.email', e)));
  for (const d of san.dns ?? []) out.push(implicitPrimitive(2, ascii('subjectAltName.dns', d)));
  for (const u of san.uri ?? []) out.push(implicitPrimitive(6, ascii('subjectAltName.uri', u)));
  for (const ip of san.ip ?? []) out.push(implicitPrimitive(7, ipBytes(ip)));
  return out;
}

/**
 * Encodes the requested extensions plus the key identifiers (subject always, authority when known)
 * that let verifiers build chains through intermediates.
 */
export function encodeExtensions(
  ext: CertificateExtensions,
  subjectKeyId: Buffer,
  authorityKeyId: Buffer | null,
): Asn1Node[] {
  const out: Asn1Node[] = [];
  if (ext.basicConstraints) {
    const { ca, pathLength } = ext.basicConstraints;
    if (pathLength !== undefined && (!ca || !Number.isInteger(pathLength) || pathLength < 0)) {
      throw new PkiError('basicConstraints.pathLength needs ca: true and a non-negative integer', {
        field: 'basicConstraints.pathLength',
        value: pathLength,
      });
    }
    const parts: Asn1Node[] = [];
    if (ca) parts.push(bool(true));
    if (pathLength !== undefined) parts.push(int(pathLength));
    out.push(extension('2.5.29.19', true, seq(parts)));
  }
  if (ext.keyUsage) out.push(extension('2.5.29.15', true, keyUsageBits(ext.keyUsage)));
  if (ext.extKeyUsage) {
    if (ext.extKeyUsage.length === 0) {
      throw new PkiError('extKeyUsage must name at least one usage', { field: 'extKeyUsage' });
    }
    const ids = ext.extKeyUsage.map((u) => {
      const id = EKU_OIDS[u];
      if (!id) throw new PkiError(`unknown extended key usage "${u}"`, { field: 'extKeyUsage' });
      return oid(id);
    });
    out.push(extension('2.5.29.37', false, seq(ids)));
  }
  if (ext.subjectAltName) {
    const names = generalNames(ext.subjectAltName);
    if (names.length === 0) {
      throw new PkiError('subjectAltName must hold at least one name', { field: 'subjectAltName' });
    }
    out.push(extension('2.5.29.17', false, seq(names)));
  }
  if (ext.authorityInfoAccess) {
    const { ocsp = [], caIssuers = [] } = ext.authorityInfoAccess;
    const descs = [
      ...ocsp.map((u) =>
        seq([oid('1.3.6.1.5.5.7.48.1'), implicitPrimitive(6, ascii('authorityInfoAccess.ocsp', u))]),
      ),
      ...caIssuers.map((u) =>
        seq([oid('1.3.6.1.5.5.7.48.2'), implicitPrimitive(6, ascii('authorityInfoAccess.caIssuers', u))]),
      ),
    ];
    if (descs.length === 0) {
      throw new PkiError('authorityInfoAccess must hold an ocsp or caIssuers URI', {
        field: 'authorityInfoAccess',
      });
    }
    out.push(extension('1.3.6.1.5.5.7.1.1', false, seq(descs)));
  }
  out.push(extension('2.5.29.14', false, octets(subjectKeyId)));
  if (authorityKeyId) out.push(extension('2.5.29.35', false, seq([implicitPrimitive(0, authorityKeyId)])));
  return out;
}

/** Wraps encoded extensions as TBSCertificate's `[3] EXPLICIT Extensions`. */
export function extensionsField(exts: Asn1Node[]): Asn1Node {
  return explicit(3, seq(exts));
}
