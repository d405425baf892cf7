import forge from 'node-forge';
import { PkiError } from './errors.js';

/**
 * A strict reader of DER with byte offsets. Signatures (OCSP's tbsResponseData) are computed over the
 * exact bytes received, so parsing must keep them rather than re-encode a tree as node-forge would.
 * Only what X.509/OCSP use is supported: single-byte tags and definite lengths (DER forbids the rest).
 */

/** One TLV: its identifier octet and where its header and contents lie in `buf`. */
export interface Tlv {
  /** The whole identifier octet, e.g. 0x30 SEQUENCE, 0xa0 [0] constructed, 0x80 [0] primitive. */
  readonly tag: number;
  readonly buf: Buffer;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

/** Universal and context tags OCSP parsing matches on. */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  SEQUENCE: 0x30,
  SET: 0x31,
  GENERALIZED_TIME: 0x18,
  UTC_TIME: 0x17,
  ctx: (n: number, constructed: boolean) => 0x80 | (constructed ? 0x20 : 0) | n,
} as const;

/** Reads the TLV at `offset`; `what` names the structure in errors. */
export function readTlv(buf: Buffer, offset: number, what: string): Tlv {
  const fail = (why: string) => new PkiError(`malformed DER in ${what}: ${why}`, { what, offset });
  if (offset + 2 > buf.length) throw fail('truncated header');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw fail('multi-byte tags are not supported');
  let len = buf[offset + 1]!;
  let p = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) throw fail('indefinite length is not DER');
    if (n > 4) throw fail('length too large');
    if (p + n > buf.length) throw fail('truncated length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    if (len < 0x80 || buf[p] === 0) throw fail('non-minimal length encoding');
    p += n;
  }
  if (p + len > buf.length) throw fail(`contents of ${len} bytes run past the end`);
  return { tag, buf, start: offset, contentStart: p, end: p + len };
}

/** Parses a whole buffer as one TLV (trailing bytes are an error). */
export function readRoot(buf: Buffer, what: string, expectTag: number = TAG.SEQUENCE): Tlv {
  const t = readTlv(buf, 0, what);
  if (t.end !== buf.length) throw new PkiError(`malformed DER in ${what}: trailing bytes`, { what });
  expect(t, expectTag, what);
  return t;
}

/** The children of a constructed TLV, in order. */
export function children(t: Tlv, what: string): Tlv[] {
  if (!(t.tag & 0x20)) throw new PkiError(`malformed DER in ${what}: expected a constructed value`, { what });
  const out: Tlv[] = [];
  let p = t.contentStart;
  while (p < t.end) {
    const c = readTlv(t.buf, p, what);
    if (c.end > t.end) throw new PkiError(`malformed DER in ${what}: child overruns its parent`, { what });
    out.push(c);
    p = c.end;
  }
  return out;
}

/** Throws unless `t` has the tag. */
export function expect(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t) throw new PkiError(`malformed DER: ${what} is missing`, { what });
  if (t.tag !== tag) {
    throw new PkiError(
      `malformed DER in ${what}: tag 0x${t.tag.toString(16)} where 0x${tag.toString(16)} was expected`,
      { what },
    );
  }
  return t;
}

/** The contents octets. */
export function contents(t: Tlv): Buffer {
  return t.buf.subarray(t.contentStart, t.end);
}

/** Header and contents: the exact encoding, e.g. what a signature covers. */
export function raw(t: Tlv): Buffer {
  return t.buf.subarray(t.start, t.end);
}

/** An OBJECT IDENTIFIER in dotted form (decoded by node-forge). */
export function oidOf(t: Tlv, what: string): string {
  expect(t, TAG.OID, what);
  return forge.asn1.derToOid(forge.util.createBuffer(contents(t).toString('binary')));
}

/** The bytes of a BIT STRING without its unused-bits octet (which must be 0 for keys and signatures). */
export function bitStringBytes(t: Tlv, what: string): Buffer {
  const c = contents(expect(t, TAG.BIT_STRING, what));
  if (c.length === 0 || c[0] !== 0)
    throw new PkiError(`malformed DER in ${what}: bad BIT STRING padding`, { what });
  return c.subarray(1);
}

/** A GeneralizedTime (YYYYMMDDHHMMSS[.f]Z) or UTCTime as a Date. */
export function timeOf(t: Tlv, what: string): Date {
  const s = contents(t).toString('latin1');
  let m: RegExpExecArray | null;
  if (t.tag === TAG.GENERALIZED_TIME) {
    m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(s);
  } else if (t.tag === TAG.UTC_TIME) {
    const u = /^(\d{2})(\d{10})Z$/.exec(s);
    m = u
      ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(
          `${Number(u[1]) < 50 ? '20' : '19'}${u[1]}${u[2]}`,
        )
      : null;
  } else {
    throw new PkiError(`malformed DER in ${what}: not a time`, { what });
  }
  if (!m) throw new PkiError(`malformed DER in ${what}: bad time "${s}"`, { what });
  const [, y, mo, d, h, mi, se] = m.map(Number) as number[];
  return new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, se!));
}

/** The subject Name and the subjectPublicKey bits of a certificate, as raw DER (OCSP CertID inputs). */
export function certificateParts(der: Buffer): {
  subject: Buffer;
  issuer: Buffer;
  serial: Tlv;
  publicKeyBits: Buffer;
} {
  const cert = readRoot(der, 'certificate');
  const tbs = expect(children(cert, 'certificate')[0], TAG.SEQUENCE, 'tbsCertificate');
  const f = children(tbs, 'tbsCertificate');
  const o = f[0]?.tag === TAG.ctx(0, true) ? 1 : 0;
  const serial = expect(f[o], TAG.INTEGER, 'serialNumber');
  const issuer = expect(f[o + 2], TAG.SEQUENCE, 'issuer');
  const subject = expect(f[o + 4], TAG.SEQUENCE, 'subject');
  const spki = expect(f[o + 5], TAG.SEQUENCE, 'subjectPublicKeyInfo');
  const bits = children(spki, 'subjectPublicKeyInfo')[1];
  return {
    subject: raw(subject),
    issuer: raw(issuer),
    serial,
    publicKeyBits: bitStringBytes(expect(bits, TAG.BIT_STRING, 'subjectPublicKey'), 'subjectPublicKey'),
  };
}
