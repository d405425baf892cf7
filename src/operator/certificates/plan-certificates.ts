import type { ControlPlane, DataPlane } from '../../api/v1alpha1/index.js';
import type { KubeObject } from '../../api/meta.js';
import { controlPlaneNames, dataPlaneNames, serviceDnsNames, serviceHost } from '../resources/names.js';
import { controllerRef } from '../resources/owner.js';
import { clusterOf } from '../resources/labels.js';
import { planCertManager } from './cert-manager-plan.js';
import { parseDuration } from './duration.js';
import { planPki } from './pki-plan.js';
import type { CertificateInputs, CertificatePlan, LeafTarget } from './plan-types.js';
import { bundlePem, secretText, type KubeSecret } from './secrets.js';
import { planShared } from './shared-plan.js';
import { validateCertificateSecret } from './validate.js';

/** What the reconciler gathered for one ControlPlane's certificates. */
export interface CertificateWorld {
  controlPlane: ControlPlane;
  /** DataPlanes in the namespace that reference this ControlPlane (controlPlaneRef). */
  dataPlanes: DataPlane[];
  secrets: ReadonlyMap<string, KubeSecret | undefined>;
  now: number;
  propagationDelayMs: number;
}

/** The Secret names a ControlPlane's certificates read (the reconciler fetches exactly these). */
export function certificateSecretNames(cp: ControlPlane, dataPlanes: DataPlane[]): string[] {
  const n = controlPlaneNames(cp.metadata.name!);
  const c = cp.spec.certificates;
  if (c.mode === 'shared')
    return [c.provider === 'secret' && c.secretName ? c.secretName : n.sharedCertSecret];
  const leaves = [n.cpCertSecret, ...dataPlanes.map((d) => dataPlaneNames(d.metadata.name!).certSecret)];
  if (c.provider === 'secret' && c.caSecretName) return [c.caSecretName, ...leaves];
  return c.provider === 'operator' ? [n.caSecret, ...leaves] : leaves;
}

/** The leaves of a pki ControlPlane: its server certificate (the cluster Service's names), then one client certificate per DataPlane. */
export function leafTargets(cp: ControlPlane, dataPlanes: DataPlane[]): LeafTarget[] {
  const name = cp.metadata.name!;
  const ns = cp.metadata.namespace!;
  const svc = controlPlaneNames(name).clusterService;
  return [
    {
      secretName: controlPlaneNames(name).cpCertSecret,
      usage: 'server',
      commonName: serviceHost(svc, ns),
      dnsNames: [...new Set([...serviceDnsNames(svc, ns), ...(cp.spec.clusterService.dnsNames ?? [])])],
      owner: controllerRef(cp as unknown as KubeObject),
    },
    ...[...dataPlanes]
      .sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1))
      .map((dp) => ({
        secretName: dataPlaneNames(dp.metadata.name!).certSecret,
        usage: 'client' as const,
        commonName: dp.metadata.name!,
        dnsNames: [],
        // Owned by its DataPlane, so deleting the DataPlane removes its certificate.
        owner: controllerRef(dp as unknown as KubeObject),
      })),
  ];
}

/**
 * Decides a ControlPlane's certificates by mode and provider: operator-issued (shared pair, or CA with
 * rotation and leaves), cert-manager Certificates, or the user's Secrets validated. Pure apart from key
 * generation; the reconciler applies `apply`, records `events`, and requeues at `nextCheckAt`.
 */
export function planCertificates(w: CertificateWorld): CertificatePlan {
  const cp = w.controlPlane;
  const c = cp.spec.certificates;
  const input: CertificateInputs = {
    controlPlane: cp.metadata.name!,
    namespace: cp.metadata.namespace!,
    cluster: clusterOf(cp),
    owner: controllerRef(cp as unknown as KubeObject),
    mode: c.mode,
    durationMs: parseDuration(c.duration, 'spec.certificates.duration'),
    renewBeforeMs: parseDuration(c.renewBefore, 'spec.certificates.renewBefore'),
    secrets: w.secrets,
    leaves: c.mode === 'pki' ? leafTargets(cp, w.dataPlanes) : [],
    now: w.now,
    propagationDelayMs: w.propagationDelayMs,
    rotateRequest: cp.metadata.annotations?.['hybridgate.dev/rotate-ca'],
  };
  if (input.renewBeforeMs >= input.durationMs) {
    return invalid(['spec.certificates.renewBefore must be shorter than duration']);
  }
  if (c.provider === 'cert-manager') {
    if (!c.issuerRef) return invalid(['spec.certificates.issuerRef is required with provider cert-manager']);
    return planCertManager(input, c.issuerRef, { duration: c.duration, renewBefore: c.renewBefore });
  }
  if (c.provider === 'secret') {
    const name = c.mode === 'shared' ? c.secretName : c.caSecretName;
    if (!name)
      return invalid([
        `spec.certificates.${c.mode === 'shared' ? 'secretName' : 'caSecretName'} is required with provider secret`,
      ]);
    const data = secretText(w.secrets.get(name));
    const v = validateCertificateSecret(name, data, { now: w.now, requireCa: false, isCa: c.mode === 'pki' });
    if (v.problems.length) return invalid(v.problems, name);
    if (c.mode === 'shared') {
      return {
        apply: [],
        events: [],
        ready: true,
        reason: 'CertificatesIssued',
        message: `using the shared cluster certificate from Secret ${name}`,
        status: { secretName: name, notAfter: new Date(v.notAfter!).toISOString() },
        // Look again at expiry, so the condition turns False when the user's certificate lapses.
        nextCheckAt: v.notAfter,
      };
    }
    const pair = { certPem: data!['tls.crt']!, keyPem: data!['tls.key']! };
    const plan = planPki(input, {
      pair,
      bundle: bundlePem([data!['ca.crt'] ?? '', pair.certPem].filter(Boolean)),
    });
    return { ...plan, status: { ...plan.status, caSecretName: name } };
  }
  return c.mode === 'shared' ? planShared(input) : planPki(input);
}

function invalid(problems: string[], secretName?: string): CertificatePlan {
  return {
    apply: [],
    events: [{ type: 'Warning', reason: 'CertificatesInvalid', message: problems.join('; ') }],
    ready: false,
    reason: 'CertificatesInvalid',
    message: problems.join('; '),
    status: secretName ? { secretName } : {},
  };
}
