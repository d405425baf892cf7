import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { EntityDefinition } from './definition.js';
import { baseFields, foreignKey, isHostname, nullable, pem, tags } from './fields.js';

function parseCert(text: string): X509Certificate | string {
  try {
    return new X509Certificate(text);
  } catch (err) {
    return `invalid certificate: ${err instanceof Error ? err.message : String(err)}`;
  }
}

function parseKey(text: string): KeyObject | string {
  try {
    return createPrivateKey(text);
  } catch (err) {
    return `invalid key: ${err instanceof Error ? err.message : String(err)}`;
  }
}

type CertCtx = z.core.$RefinementCtx<{ cert: string; key: string; cert_alt: string | null; key_alt: string | null }>;

// Checks one cert/key pair; returns the key type so the alternate pair can be required to differ.
function checkPair(certField: string, keyField: string, certPem: string, keyPem: string, ctx: CertCtx): string | undefined {
  const cert = parseCert(certPem);
  const key = parseKey(keyPem);
  if (typeof cert === 'string') ctx.addIssue({ code: 'custom', path: [certField], message: cert });
  if (typeof key === 'string') ctx.addIssue({ code: 'custom', path: [keyField], message: key });
  if (typeof cert === 'string' || typeof key === 'string') return undefined;
  if (!cert.checkPrivateKey(key)) {
    ctx.addIssue({ code: 'custom', path: [], message: `certificate does not match key` });
    return undefined;
  }
  return key.asymmetricKeyType;
}

const certificateSchema = z
  .strictObject({
    ...baseFields(),
    cert: pem(),
    key: pem(),
    cert_alt: nullable(pem()),
    key_alt: nullable(pem()),
    tags: tags(),
  })
  .superRefine((c, ctx) => {
    const mainType = checkPair('cert', 'key', c.cert, c.key, ctx);
    if ((c.cert_alt === null) !== (c.key_alt === null)) {
      ctx.addIssue({ code: 'custom', path: [], message: "all or none of these fields must be set: 'cert_alt', 'key_alt'" });
      return;
    }
    if (c.cert_alt === null || c.key_alt === null) return;
    const altType = checkPair('cert_alt', 'key_alt', c.cert_alt, c.key_alt, ctx);
    if (mainType !== undefined && altType !== undefined && mainType === altType) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'certificate and alternative certificate need to have different type (e.g. RSA and ECDSA)',
      });
    }
  });

/** Kong's `certificates`: a certificate and key pair served for SNIs (and used as client certificates). */
export const certificatesDefinition: EntityDefinition = {
  name: 'certificates',
  schema: certificateSchema as unknown as EntityDefinition['schema'],
  uniqueFields: [],
  foreignKeys: [],
  secretFields: ['key', 'key_alt'],
  tags: true,
};

/** Whether an SNI name is valid: a hostname, optionally with one wildcard as the first or last label. */
export function isSniName(name: string): boolean {
  const stars = name.split('*').length - 1;
  if (stars > 1) return false;
  const probe = name.replace(/^\*\./, 'wildcard.').replace(/\.\*$/, '.wildcard');
  return !probe.includes('*') && isHostname(probe);
}

/** Kong's `snis`: a server name bound to a certificate. */
export const snisDefinition: EntityDefinition = {
  name: 'snis',
  schema: z.strictObject({
    ...baseFields(),
    name: z.string().refine(isSniName, { error: (iss) => `invalid value: ${String(iss.input)}` }),
    certificate: foreignKey(),
    tags: tags(),
  }) as unknown as EntityDefinition['schema'],
  uniqueFields: ['name'],
  endpointKey: 'name',
  foreignKeys: [{ field: 'certificate', references: 'certificates', onDelete: 'cascade' }],
  tags: true,
};

/** sha256 hex of a certificate's DER (Kong's `cert_digest`). */
export function certificateDigest(cert: X509Certificate): string {
  return createHash('sha256').update(cert.raw).digest('hex');
}

function prepareCaCertificate(input: Record<string, unknown>): Record<string, unknown> {
  if (typeof input.cert !== 'string') return input;
  const cert = parseCert(input.cert);
  // The digest is derived, never trusted from input: it is what the uniqueness check is made on.
  return typeof cert === 'string' ? input : { ...input, cert_digest: certificateDigest(cert) };
}

/** Kong's `ca_certificates`: trusted CAs for upstream TLS verification. */
export const caCertificatesDefinition: EntityDefinition = {
  name: 'ca_certificates',
  schema: z
    .strictObject({
      ...baseFields(),
      cert: pem(),
      cert_digest: nullable(z.string().regex(/^[0-9a-f]{64}$/, { error: 'expected a sha256 hex digest' })),
      tags: tags(),
    })
    .superRefine((c, ctx) => {
      const cert = parseCert(c.cert);
      if (typeof cert === 'string') {
        ctx.addIssue({ code: 'custom', path: ['cert'], message: cert });
        return;
      }
      if (!cert.ca) {
        ctx.addIssue({
          code: 'custom',
          path: ['cert'],
          message: 'certificate does not appear to be a CA because it is missing the "CA" basic constraint',
        });
      }
      if (Date.parse(cert.validTo) < Date.now()) {
        ctx.addIssue({ code: 'custom', path: ['cert'], message: 'certificate expired, "Not After" time is in the past' });
      }
    }) as unknown as EntityDefinition['schema'],
  uniqueFields: ['cert_digest'],
  foreignKeys: [],
  tags: true,
  prepare: prepareCaCertificate,
};
