import forge from 'node-forge';

/*
 * A thin layer over node-forge's ASN.1 module, which can encode any DER structure but works on
 * "binary strings". Everything that crosses this module's boundary is a Buffer, so the certificate
 * builder never touches forge's string representation.
 */

const { asn1 } = forge;
const C = asn1.Class;
const T = asn1.Type;

/** One DER node (forge's representation, opaque to callers). */
export type Asn1Node = forge.asn1.Asn1;

const bin = (b: Buffer): string => b.toString('binary');

/** SEQUENCE of the given nodes. */
export function seq(children: Asn1Node[]): Asn1Node {
  return asn1.create(C.UNIVERSAL, T.SEQUENCE, true, children);
}

/** SET of the given nodes (DER sorts SET OF; we only ever put one element in a SET). */
export function set(children: Asn1Node[]): Asn1Node {
  return asn1.create(C.UNIVERSAL, T.SET, true, children);
}

/** OBJECT IDENTIFIER from dotted notation. */
export function oid(dotted: string): Asn1Node {
  return asn1.create(C.UNIVERSAL, T.OID, false, asn1.oidToDer(dotted).getBytes());
}

/** INTEGER from a small non-negative number. */
export function int(n: number): Asn1Node {
  return asn1.create(C.UNIVERSAL, T.INTEGER, false, asn1.integerToDer(n).getBytes());
}

/** INTEGER from unsigned big-endian bytes (serial numbers), with the sign byte DER needs. */
export function uintBytes(bytes: Buffer): Asn1Node {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  let v = bytes.subarray(i);
  if ((v[0] ?? 0) & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
  return asn1.create(C.UNIVERSAL, T.INTEGER, false, bin(v));
}

/** BOOLEAN. */
export function bool(v: boolean): Asn1Node {
  return asn1.create(C.UNIVERSAL, T.BOOLEAN, false, v ? '\xff' : '\x00');
}

/** NULL (the parameters of RSA algorithm identifiers). */
export function nul(): Asn1Node {
  return asn1.create(C.UNIVERSAL, T.NULL, false, '');
}

/** OCTET STRING holding raw bytes. */
export function octets(b: Buffer): Asn1Node {
  return asn1.create(C.UNIVERSAL, T.OCTETSTRING, false, bin(b));
}

/** BIT STRING holding raw bytes with `unused` padding bits in the last byte. */
export function bits(b: Buffer, unused = 0): Asn1Node {
  return asn1.create(C.UNIVERSAL, T.BITSTRING, false, String.fromCharCode(unused) + bin(b));
}

/** UTF8String. */
export function utf8(s: string): Asn1Node {
  return asn1.create(C.UNIVERSAL, T.UTF8, false, forge.util.encodeUtf8(s));
}

/** PrintableString (countryName must be one). */
export function printable(s: string): Asn1Node {
  return asn1.create(C.UNIVERSAL, T.PRINTABLESTRING, false, s);
}

/** RFC 5280 Time: UTCTime through 2049, GeneralizedTime from 2050 on. */
export function time(d: Date): Asn1Node {
  return d.getUTCFullYear() < 2050
    ? asn1.create(C.UNIVERSAL, T.UTCTIME, false, asn1.dateToUtcTime(d))
    : asn1.create(C.UNIVERSAL, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(d));
}

/** [n] EXPLICIT wrapper (constructed, context-specific). */
export function explicit(tag: number, child: Asn1Node): Asn1Node {
  return asn1.create(C.CONTEXT_SPECIFIC, tag, true, [child]);
}

/** [n] IMPLICIT primitive with raw contents (GeneralName dNSName, URI, iPAddress, key identifiers). */
export function implicitPrimitive(tag: number, contents: Buffer): Asn1Node {
  return asn1.create(C.CONTEXT_SPECIFIC, tag, false, bin(contents));
}

/** DER-encodes a node. */
export function toDer(node: Asn1Node): Buffer {
  return Buffer.from(asn1.toDer(node).getBytes(), 'binary');
}

/** Parses DER (strictly: trailing bytes are an error) into a node that can be embedded as-is. */
export function fromDer(der: Buffer): Asn1Node {
  // The typings only know the boolean form; forge also takes an options object (decodeBitStrings off
  // keeps BIT STRING contents byte-exact when re-encoded).
  const parse = asn1.fromDer as unknown as (b: string, o: object) => Asn1Node;
  return parse(bin(der), { strict: true, parseAllBytes: true, decodeBitStrings: false });
}
