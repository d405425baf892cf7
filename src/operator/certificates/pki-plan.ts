import type { X509Certificate } from 'node:crypto';
import { issueCa, issueLeaf, type PemPair } from './issue.js';
import type { CertificateInputs, CertificatePlan, LeafTarget, PlannedEvent } from './plan-types.js';
import {
  buildSecret,
  bundleCertificates,
  bundlePem,
  firstCertificate,
  issuedBy,
  secretText,
  type KubeSecret,
  type SecretText,
} from './secrets.js';
import { validateCertificateSecret } from './validate.js';

/**
 * PKI mode with provider `operator`: a CA kept in `<cp>-ca` (never mounted in pods), the CP's server
 * certificate and one client certificate per DataPlane, each Secret carrying ca.crt = the trust bundle.
 *
 * CA rotation keeps the fleet connected with an overlapping bundle, one step per reconcile, its state
 * in the CA Secret's annotations (so it survives operator restarts and leader changes):
 *   stable     → a new CA is generated (kept as next.crt/next.key); bundle = old + new.
 *   publishing → the bundle is written to every leaf Secret's ca.crt, leaves unchanged. Once all carry
 *                it and the propagation delay passed (kubelet refreshes mounted Secrets; the runtime
 *                reloads the files), the new CA becomes the signer (old kept as previous.crt).
 *   reissuing  → every leaf is re-issued from the new CA. Once all are, and the delay passed again,
 *                the old CA leaves the bundle → stable.
 * Any step that finds its precondition unmet writes nothing and asks to be called again.
 */

/** Annotations on the CA Secret that record the rotation state. */
export const CA_ANNOTATIONS = {
  phase: 'hybridgate.dev/ca-phase',
  since: 'hybridgate.dev/ca-phase-since',
  rotatedFor: 'hybridgate.dev/ca-rotated-for',
} as const;

/** Rotation phases. */
export type CaPhase = 'stable' | 'publishing' | 'reissuing';

/** A CA lives this many leaf durations; rotation starts when less than CA_RENEW_FACTOR remain. */
export const CA_VALIDITY_FACTOR = 5;
const CA_RENEW_FACTOR = 2;

interface CaState {
  phase: CaPhase;
  since: number;
  rotatedFor: string;
  signer: PemPair;
  signerCert: X509Certificate;
  next?: PemPair;
  previousPem?: string;
  bundle: string;
}

/** Which CA a planPki run manages: the cluster CA (default) or another one (the Admin API's). */
export interface PkiCaOptions {
  /** The CA Secret's name; default `<cp>-ca`. */
  caName?: string;
  /** How the CA is named in its subject and in Events; default `cluster CA`. */
  caTitle?: string;
}

/** Plans the pki Secrets for one reconcile. `caFromUser` (provider secret) replaces the managed CA. */
export function planPki(
  input: CertificateInputs,
  caFromUser?: { pair: PemPair; bundle: string },
  caOpts: PkiCaOptions = {},
): CertificatePlan {
  const events: PlannedEvent[] = [];
  const apply: KubeSecret[] = [];
  const caName = caOpts.caName ?? `${input.controlPlane}-ca`;
  const caTitle = caOpts.caTitle ?? 'cluster CA';
  let ca: CaState;
  let caChanged = false;
  const wait: number[] = [];

  if (caFromUser) {
    const cert = firstCertificate(caFromUser.pair.certPem)!;
    ca = {
      phase: 'stable',
      since: input.now,
      rotatedFor: '',
      signer: caFromUser.pair,
      signerCert: cert,
      bundle: caFromUser.bundle,
    };
  } else {
    const loaded = loadCa(secretText(input.secrets.get(caName)), input.now);
    if (!loaded) {
      const pair = issueCa(
        `${input.controlPlane} ${caTitle}`,
        input.now,
        input.durationMs * CA_VALIDITY_FACTOR,
      );
      ca = fresh(pair, input.now, input.rotateRequest ?? '');
      caChanged = true;
      events.push({ type: 'Normal', reason: 'CAIssued', message: `issued ${caTitle} in Secret ${caName}` });
    } else ca = loaded;
  }

  const leafData = input.leaves.map((l) => ({ leaf: l, data: secretText(input.secrets.get(l.secretName)) }));
  const carriesBundle = (d: SecretText | undefined) => d?.['ca.crt'] === ca.bundle;
  const fromSigner = (d: SecretText | undefined) => {
    const c = firstCertificate(d?.['tls.crt']);
    return c !== undefined && issuedBy(c, ca.signerCert);
  };

  if (!caFromUser && ca.phase === 'stable') {
    const rotateRequested = !!input.rotateRequest && input.rotateRequest !== ca.rotatedFor;
    const caExpiring =
      new Date(ca.signerCert.validTo).getTime() - input.now < input.durationMs * CA_RENEW_FACTOR;
    if (rotateRequested || caExpiring) {
      const next = issueCa(
        `${input.controlPlane} ${caTitle}`,
        input.now,
        input.durationMs * CA_VALIDITY_FACTOR,
      );
      ca = {
        ...ca,
        phase: 'publishing',
        since: input.now,
        next,
        bundle: bundlePem([ca.signer.certPem, next.certPem]),
      };
      ca.rotatedFor = input.rotateRequest ?? ca.rotatedFor;
      caChanged = true;
      events.push({
        type: 'Normal',
        reason: 'CARotationStarted',
        message: `new CA generated (${rotateRequested ? 'requested' : 'CA nearing expiry'}); publishing the trust bundle old+new`,
      });
    }
  } else if (!caFromUser && ca.phase === 'publishing' && ca.next) {
    const published = leafData.every(({ data }) => carriesBundle(data));
    const due = ca.since + input.propagationDelayMs;
    if (published && input.now >= due) {
      const nextCert = firstCertificate(ca.next.certPem)!;
      ca = {
        ...ca,
        phase: 'reissuing',
        since: input.now,
        previousPem: ca.signer.certPem,
        signer: ca.next,
        signerCert: nextCert,
        next: undefined,
      };
      caChanged = true;
      events.push({
        type: 'Normal',
        reason: 'CARotationReissuing',
        message: 'every Secret trusts the new CA; re-issuing certificates from it',
      });
    } else if (published) wait.push(due);
  } else if (!caFromUser && ca.phase === 'reissuing') {
    const reissued = leafData.every(({ data }) => fromSigner(data));
    const due = ca.since + input.propagationDelayMs;
    if (reissued && input.now >= due) {
      ca = {
        ...ca,
        phase: 'stable',
        since: input.now,
        previousPem: undefined,
        bundle: bundlePem([ca.signer.certPem]),
      };
      caChanged = true;
      events.push({
        type: 'Normal',
        reason: 'CARotationCompleted',
        message: 'every certificate is from the new CA; the old CA left the trust bundle',
      });
    } else if (reissued) wait.push(due);
  }

  if (caChanged && !caFromUser) apply.push(caSecret(input, caName, ca));

  // Leaves: (re)issue when missing, unusable, due, not from the signer (except while publishing, when
  // leaves must stay as they are) or for other names; else only refresh the bundle.
  const renewals: number[] = [];
  let earliestExpiry: number | undefined;
  for (const { leaf, data } of leafData) {
    const problems = validateCertificateSecret(leaf.secretName, data, {
      now: input.now,
      requireCa: false,
    }).problems;
    const cert = firstCertificate(data?.['tls.crt']);
    const notAfter = cert ? new Date(cert.validTo).getTime() : 0;
    const renewAt = notAfter - input.renewBeforeMs;
    const wrongSigner = ca.phase !== 'publishing' && !fromSigner(data);
    const publishingUnsigned =
      ca.phase === 'publishing' &&
      cert !== undefined &&
      !bundleCertificates(ca.bundle).some((c) => issuedBy(cert, c));
    const wrongNames = cert !== undefined && !sameNames(cert, leaf);
    if (problems.length || !cert || input.now >= renewAt || wrongSigner || publishingUnsigned || wrongNames) {
      const issued = issueLeaf(ca.signer, {
        usage: leaf.usage,
        commonName: leaf.commonName,
        dnsNames: leaf.dnsNames,
        now: input.now,
        notAfter: input.now + input.durationMs,
      });
      apply.push(leafSecret(input, leaf, issued, ca.bundle));
      const exp = new Date(firstCertificate(issued.certPem)!.validTo).getTime();
      renewals.push(exp - input.renewBeforeMs);
      earliestExpiry = Math.min(earliestExpiry ?? exp, exp);
      events.push({
        type: 'Normal',
        reason: cert ? 'CertificateRenewed' : 'CertificateIssued',
        message: `${cert ? 're-issued' : 'issued'} ${leaf.usage} certificate in Secret ${leaf.secretName}${cert ? ` (${renewReason(problems, input.now >= renewAt, wrongSigner || publishingUnsigned, wrongNames)})` : ''}`,
      });
    } else {
      if (!carriesBundle(data))
        apply.push(
          leafSecret(input, leaf, { certPem: data!['tls.crt']!, keyPem: data!['tls.key']! }, ca.bundle),
        );
      renewals.push(renewAt);
      earliestExpiry = Math.min(earliestExpiry ?? notAfter, notAfter);
    }
  }
  if (!caFromUser)
    renewals.push(new Date(ca.signerCert.validTo).getTime() - input.durationMs * CA_RENEW_FACTOR);
  // A rotation in progress is looked at again after its delay, or soon when it waits for writes to land.
  if (ca.phase !== 'stable' || caChanged) wait.push(input.now + Math.max(input.propagationDelayMs, 1000));

  const cpLeaf = input.leaves.find((l) => l.usage === 'server');
  const cpRenew = cpLeaf ? renewals[input.leaves.indexOf(cpLeaf)] : undefined;
  return {
    apply,
    events,
    ready: true,
    reason: 'CertificatesIssued',
    message:
      ca.phase === 'stable'
        ? `${input.leaves.length} certificate(s) issued from the ${caTitle}`
        : `CA rotation in progress (phase ${ca.phase})`,
    status: {
      secretName: cpLeaf?.secretName,
      caSecretName: caFromUser ? undefined : caName,
      ...(earliestExpiry !== undefined ? { notAfter: new Date(earliestExpiry).toISOString() } : {}),
      ...(cpRenew !== undefined ? { renewalTime: new Date(cpRenew).toISOString() } : {}),
    },
    nextCheckAt: Math.min(...renewals, ...wait),
  };
}

function renewReason(problems: string[], due: boolean, signer: boolean, names: boolean): string {
  if (problems.length) return problems[0]!;
  if (signer) return 'not issued by the current CA';
  if (names) return 'names changed';
  return due ? 'due for renewal' : 'refreshed';
}

function sameNames(cert: X509Certificate, leaf: LeafTarget): boolean {
  const sans = (cert.subjectAltName ?? '')
    .split(', ')
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4))
    .sort();
  return (
    JSON.stringify(sans) === JSON.stringify([...leaf.dnsNames].sort()) &&
    cert.subject.includes(`CN=${leaf.commonName}`)
  );
}

function fresh(pair: PemPair, now: number, rotatedFor: string): CaState {
  return {
    phase: 'stable',
    since: now,
    rotatedFor,
    signer: pair,
    signerCert: firstCertificate(pair.certPem)!,
    bundle: bundlePem([pair.certPem]),
  };
}

function loadCa(data: SecretText | undefined, now: number): CaState | undefined {
  if (!data || validateCertificateSecret('ca', data, { now, requireCa: false, isCa: true }).problems.length)
    return undefined;
  const phase = (data['phase'] as CaPhase | undefined) ?? 'stable';
  const next =
    data['next.crt'] && data['next.key']
      ? { certPem: data['next.crt'], keyPem: data['next.key'] }
      : undefined;
  return {
    phase: phase === 'publishing' && !next ? 'stable' : phase,
    since: Number(data['phase-since'] ?? now),
    rotatedFor: data['rotated-for'] ?? '',
    signer: { certPem: data['tls.crt']!, keyPem: data['tls.key']! },
    signerCert: firstCertificate(data['tls.crt'])!,
    next,
    previousPem: data['previous.crt'],
    bundle: data['ca.crt'] || bundlePem([data['tls.crt']!]),
  };
}

function caSecret(input: CertificateInputs, name: string, ca: CaState): KubeSecret {
  // The state lives in data (not only annotations) so one apply moves keys and state together.
  const data: SecretText = {
    'tls.crt': ca.signer.certPem,
    'tls.key': ca.signer.keyPem,
    'ca.crt': ca.bundle,
    phase: ca.phase,
    'phase-since': String(ca.since),
    'rotated-for': ca.rotatedFor,
  };
  if (ca.next) Object.assign(data, { 'next.crt': ca.next.certPem, 'next.key': ca.next.keyPem });
  if (ca.previousPem) data['previous.crt'] = ca.previousPem;
  return buildSecret({
    name,
    namespace: input.namespace,
    controlPlane: input.controlPlane,
    cluster: input.cluster,
    owner: input.owner,
    type: 'Opaque',
    data,
    annotations: {
      [CA_ANNOTATIONS.phase]: ca.phase,
      [CA_ANNOTATIONS.since]: new Date(ca.since).toISOString(),
      [CA_ANNOTATIONS.rotatedFor]: ca.rotatedFor,
    },
  });
}

function leafSecret(input: CertificateInputs, leaf: LeafTarget, pair: PemPair, bundle: string): KubeSecret {
  return buildSecret({
    name: leaf.secretName,
    namespace: input.namespace,
    controlPlane: input.controlPlane,
    cluster: input.cluster,
    owner: leaf.owner,
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': pair.certPem, 'tls.key': pair.keyPem, 'ca.crt': bundle },
  });
}
