import { X509Certificate } from 'node:crypto';
import type { KubeObject, OwnerReference } from '../../api/meta.js';
import { errorMessage } from '../../shared/errors.js';
import { objectLabels, CONTROL_PLANE_LABEL } from '../resources/labels.js';

/** A core/v1 Secret as it travels (data values base64). */
export interface KubeSecret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

/** A Secret's data decoded to text (certificates and keys are PEM). */
export type SecretText = Record<string, string>;

/** Decodes a Secret's data (base64) to text; undefined for an absent Secret. */
export function secretText(secret: KubeSecret | undefined): SecretText | undefined {
  if (!secret) return undefined;
  return Object.fromEntries(
    Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );
}

/** What a certificate Secret the operator writes is: its name, owner, type, keys and annotations. */
export interface SecretSpec {
  name: string;
  namespace: string;
  /** The ControlPlane the certificate belongs to (label; maps Secret events to its reconcile). */
  controlPlane: string;
  cluster: string;
  owner: OwnerReference;
  type: 'kubernetes.io/tls' | 'Opaque';
  data: SecretText;
  annotations?: Record<string, string>;
}

/** The Secret object to apply (every key, since server-side apply drops keys an apply leaves out). */
export function buildSecret(s: SecretSpec): KubeSecret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: s.name,
      namespace: s.namespace,
      labels: {
        ...objectLabels({ instance: s.controlPlane, component: 'certificates', cluster: s.cluster }),
        [CONTROL_PLANE_LABEL]: s.controlPlane,
      },
      ...(s.annotations && Object.keys(s.annotations).length ? { annotations: s.annotations } : {}),
      ownerReferences: [s.owner],
    },
    type: s.type,
    data: Object.fromEntries(
      Object.entries(s.data)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]),
    ),
  };
}

/** Every certificate of a PEM bundle (unparsable blocks are skipped; validation reports them). */
export function bundleCertificates(pem: string | undefined): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const block of pem?.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []) {
    try {
      out.push(new X509Certificate(block));
    } catch {
      // reported by validation
    }
  }
  return out;
}

/** A bundle's PEM normalised (each certificate once, in order, newline-terminated), for comparison. */
export function bundlePem(certs: (X509Certificate | string)[]): string {
  const seen = new Set<string>();
  let out = '';
  for (const c of certs) {
    const x = typeof c === 'string' ? bundleCertificates(c) : [c];
    for (const cert of x) {
      if (seen.has(cert.fingerprint256)) continue;
      seen.add(cert.fingerprint256);
      out += cert.toString().trim() + '\n';
    }
  }
  return out;
}

/** Whether `leaf` was signed by `ca` (issuer name and signature). */
export function issuedBy(leaf: X509Certificate, ca: X509Certificate): boolean {
  try {
    return leaf.checkIssued(ca) && leaf.verify(ca.publicKey);
  } catch {
    return false;
  }
}

/** The first certificate of a PEM text, or undefined when there is none or it does not parse. */
export function firstCertificate(pem: string | undefined): X509Certificate | undefined {
  return bundleCertificates(pem)[0];
}

/** Why a parse failed, in one line. */
export const reason = (err: unknown): string => errorMessage(err).split('\n')[0] ?? 'unknown error';
