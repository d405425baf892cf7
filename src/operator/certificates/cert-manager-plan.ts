import type { KubeObject } from '../../api/meta.js';
import { CERT_MANAGER_API_VERSION, type Certificate } from '../../api/cert-manager/index.js';
import type { IssuerRef } from '../../api/v1alpha1/index.js';
import { SHARED_CLUSTER_CN } from '../../runtime/pki/shared-cluster-cert.js';
import { CONTROL_PLANE_LABEL, objectLabels } from '../resources/labels.js';
import type { CertificateInputs, CertificatePlan } from './plan-types.js';
import { secretText } from './secrets.js';
import { validateCertificateSecret } from './validate.js';

/**
 * Provider `cert-manager`: one cert-manager Certificate per Secret the operator would have written
 * (shared: the kong_clustering pair; pki: the CP's server certificate and each DP's client
 * certificate), signed by spec.issuerRef. cert-manager writes and renews the Secrets; the operator only
 * consumes them and reports, in CertificatesReady, until each holds a usable pair (and ca.crt in pki).
 */
export function planCertManager(
  input: CertificateInputs,
  issuerRef: IssuerRef,
  durations: { duration: string; renewBefore: string },
): CertificatePlan {
  const labels = {
    ...objectLabels({ instance: input.controlPlane, component: 'certificates', cluster: input.cluster }),
    [CONTROL_PLANE_LABEL]: input.controlPlane,
  };
  const certificate = (
    name: string,
    owner: KubeObject['metadata'],
    spec: Partial<Certificate['spec']>,
  ): KubeObject => ({
    apiVersion: CERT_MANAGER_API_VERSION,
    kind: 'Certificate',
    metadata: { name, namespace: input.namespace, labels, ...owner },
    spec: {
      secretName: name,
      // The Secret carries the label too, so its events reach this ControlPlane's reconcile.
      secretTemplate: { labels },
      duration: durations.duration,
      renewBefore: durations.renewBefore,
      privateKey: { algorithm: 'ECDSA', size: 384, rotationPolicy: 'Always' },
      issuerRef: { name: issuerRef.name, kind: issuerRef.kind, group: issuerRef.group },
      ...spec,
    },
  });
  const targets =
    input.mode === 'shared'
      ? [
          {
            name: `${input.controlPlane}-cluster-cert`,
            owner: input.owner,
            spec: {
              commonName: SHARED_CLUSTER_CN,
              dnsNames: [SHARED_CLUSTER_CN],
              usages: ['digital signature', 'key encipherment', 'server auth', 'client auth'],
            },
          },
        ]
      : input.leaves.map((l) => ({
          name: l.secretName,
          owner: l.owner,
          spec: {
            commonName: l.commonName,
            ...(l.dnsNames.length ? { dnsNames: l.dnsNames } : {}),
            usages: [
              'digital signature',
              'key encipherment',
              l.usage === 'server' ? 'server auth' : 'client auth',
            ],
          },
        }));
  const apply = targets.map((t) =>
    certificate(t.name, { ownerReferences: [t.owner] }, t.spec as Partial<Certificate['spec']>),
  );
  const problems: string[] = [];
  let earliest: number | undefined;
  for (const t of targets) {
    const v = validateCertificateSecret(t.name, secretText(input.secrets.get(t.name)), {
      now: input.now,
      requireCa: input.mode === 'pki',
    });
    problems.push(...v.problems);
    if (v.notAfter !== undefined) earliest = Math.min(earliest ?? v.notAfter, v.notAfter);
  }
  const first = targets[0]?.name;
  return {
    apply,
    events: [],
    ready: problems.length === 0,
    reason: problems.length ? 'CertificatesPending' : 'CertificatesIssued',
    message: problems.length
      ? `waiting for cert-manager: ${problems.join('; ')}`
      : `${targets.length} certificate(s) issued by ${issuerRef.kind} ${issuerRef.name}`,
    status: {
      secretName: first,
      ...(earliest !== undefined ? { notAfter: new Date(earliest).toISOString() } : {}),
    },
  };
}
