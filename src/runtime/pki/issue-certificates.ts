import { generateKeyPairSync } from 'node:crypto';
import { isIP as isIpAddress } from 'node:net';
import type { KeyObject } from 'node:crypto';
import { parseCertificateChainPem, parsePrivateKeyPem, assertKeyMatchesCertificate } from './cert-inspect.js';
import { isSelfSigned } from './chain-verify.js';
import { createCertificate } from './create-certificate.js';
import { certificateParts } from './der-reader.js';
import { PkiError } from './errors.js';
import type { SubjectAltNames } from './x509-extensions.js';

/** Key types `hybridgate pki` offers (issue 5). */
export const KEY_TYPES = ['ec-p256', 'ec-p384', 'rsa-2048'] as const;

/** One of KEY_TYPES. */
export type KeyType = (typeof KEY_TYPES)[number];

/** A certificate and its key in PEM; `chainPem` is the certificate followed by its intermediates. */
export interface IssuedPem {
  certPem: string;
  keyPem: string;
  chainPem: string;
}

/** An issuing CA: its certificate file content (itself first, then the intermediates above it) and key. */
export interface IssuerPem {
  certPem: string;
  keyPem: string;
}

/** Generates a private key of `type`. */
export function generateKey(type: KeyType): KeyObject {
  switch (type) {
    case 'ec-p256':
      return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    case 'ec-p384':
      return generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey;
    case 'rsa-2048':
      return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    default:
      throw new PkiError(`key type "${String(type)}" is not supported (expected ${KEY_TYPES.join(', ')})`, {
        field: 'keyType',
      });
  }
}

function validity(days: number, now: Date): { notBefore: Date; notAfter: Date } {
  if (!Number.isInteger(days) || days < 1 || days > 36500) {
    throw new PkiError(`days must be an integer from 1 to 36500, got ${String(days)}`, { field: 'days' });
  }
  // Backdated a minute so a peer whose clock lags slightly still accepts a fresh certificate.
  return {
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + days * 86_400_000),
  };
}

const keyPem = (k: KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }).toString();

/** Loads an issuer, checking that it is a CA whose key matches; returns what signing needs. */
function loadIssuer(issuer: IssuerPem) {
  const chain = parseCertificateChainPem(issuer.certPem, 'CA certificate');
  const cert = chain[0]!;
  const key = parsePrivateKeyPem(issuer.keyPem, 'CA key');
  assertKeyMatchesCertificate(cert, key, 'CA key');
  if (!cert.ca)
    throw new PkiError(
      `the CA certificate ${cert.subject.replace(/\n/g, ', ')} is not a CA (CA:TRUE missing)`,
      { field: 'caCert' },
    );
  // What a node sends: the issuer and the intermediates above it, never a self-signed root.
  const above = chain.filter((c) => !isSelfSigned(c)).map((c) => c.toString());
  return { cert, key, above, nameDer: certificateParts(cert.raw).subject };
}

/** A self-signed root CA (cluster_ca_cert in PKI mode). */
export function createRootCa(o: { cn: string; days?: number; keyType?: KeyType; now?: Date }): IssuedPem {
  const key = generateKey(o.keyType ?? 'ec-p256');
  const cert = createCertificate({
    subject: { CN: o.cn },
    publicKey: key,
    signingKey: key,
    ...validity(o.days ?? 3650, o.now ?? new Date()),
    extensions: { basicConstraints: { ca: true }, keyUsage: ['keyCertSign', 'cRLSign', 'digitalSignature'] },
  });
  return { certPem: cert.pem, keyPem: keyPem(key), chainPem: cert.pem };
}

/** An intermediate CA issued by `issuer` (PKI mode allows three between root and node). */
export function createIntermediateCa(o: {
  issuer: IssuerPem;
  cn: string;
  days?: number;
  keyType?: KeyType;
  pathLength?: number;
  now?: Date;
}): IssuedPem {
  const iss = loadIssuer(o.issuer);
  const key = generateKey(o.keyType ?? 'ec-p256');
  const cert = createCertificate({
    subject: { CN: o.cn },
    issuerNameDer: iss.nameDer,
    publicKey: key,
    signingKey: iss.key,
    ...validity(o.days ?? 1825, o.now ?? new Date()),
    extensions: {
      basicConstraints: o.pathLength === undefined ? { ca: true } : { ca: true, pathLength: o.pathLength },
      keyUsage: ['keyCertSign', 'cRLSign', 'digitalSignature'],
    },
  });
  return { certPem: cert.pem, keyPem: keyPem(key), chainPem: [cert.pem, ...iss.above].join('') };
}

/** Splits `--san` values: `DNS:x`, `IP:y`, `URI:z`, or bare names and addresses. */
export function parseSans(values: readonly string[]): SubjectAltNames {
  const out: Required<Pick<SubjectAltNames, 'dns' | 'ip' | 'uri'>> = { dns: [], ip: [], uri: [] };
  for (const raw of values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean)) {
    const m = /^(DNS|IP|URI):(.+)$/i.exec(raw);
    const kind = m ? m[1]!.toUpperCase() : isIpAddress(raw) ? 'IP' : 'DNS';
    const value = m ? m[2]! : raw;
    if (kind === 'IP') {
      if (!isIpAddress(value)) throw new PkiError(`--san IP:${value} is not an IP address`, { field: 'san' });
      out.ip.push(value);
    } else if (kind === 'URI') out.uri.push(value);
    else {
      if (
        !/^(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*$/.test(
          value,
        )
      ) {
        throw new PkiError(`--san DNS:${value} is not a host name`, { field: 'san' });
      }
      out.dns.push(value);
    }
  }
  return out;
}

/**
 * A node certificate: `server` (a CP: EKU TLS Web Server Authentication) or `client` (a DP: TLS Web
 * Client Authentication). A server certificate without SANs gets its CN as DNS SAN (or IP SAN), since
 * DPs check the CN or a SAN against cluster_server_name. `chainPem` is what cluster_cert should hold.
 */
export function createNodeCertificate(o: {
  issuer: IssuerPem;
  cn: string;
  usage: 'server' | 'client';
  sans?: string[];
  ocspUrl?: string;
  days?: number;
  keyType?: KeyType;
  now?: Date;
}): IssuedPem {
  const iss = loadIssuer(o.issuer);
  const key = generateKey(o.keyType ?? 'ec-p256');
  let san = parseSans(o.sans ?? []);
  const empty = !san.dns?.length && !san.ip?.length && !san.uri?.length;
  if (empty && o.usage === 'server') san = parseSans([o.cn]);
  const hasSan = !!(san.dns?.length || san.ip?.length || san.uri?.length);
  const cert = createCertificate({
    subject: { CN: o.cn },
    issuerNameDer: iss.nameDer,
    publicKey: key,
    signingKey: iss.key,
    ...validity(o.days ?? 365, o.now ?? new Date()),
    extensions: {
      basicConstraints: { ca: false },
      keyUsage:
        key.asymmetricKeyType === 'rsa' ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature'],
      extKeyUsage: [o.usage === 'server' ? 'serverAuth' : 'clientAuth'],
      ...(hasSan ? { subjectAltName: san } : {}),
      ...(o.ocspUrl ? { authorityInfoAccess: { ocsp: [o.ocspUrl] } } : {}),
    },
  });
  return { certPem: cert.pem, keyPem: keyPem(key), chainPem: [cert.pem, ...iss.above].join('') };
}
