import type { KubeObject } from '../../api/meta.js';
import type { ControlPlane } from '../../api/v1alpha1/index.js';
import { clusterOf } from '../resources/labels.js';
import { controlPlaneNames, serviceDnsNames, serviceHost } from '../resources/names.js';
import { controllerRef } from '../resources/owner.js';
import { parseDuration } from './duration.js';
import { planPki } from './pki-plan.js';
import type { CertificatePlan } from './plan-types.js';
import type { KubeSecret } from './secrets.js';

/** A new value of this ControlPlane annotation starts a rotation of its Admin API CA. */
export const ROTATE_ADMIN_CA_ANNOTATION = 'hybridgate.dev/rotate-admin-ca';

/** The Secret names the Admin API certificate reads (the reconciler fetches exactly these). */
export function adminCertificateSecretNames(cp: ControlPlane): string[] {
  const n = controlPlaneNames(cp.metadata.name!);
  return [n.adminCaSecret, n.adminTlsSecret];
}

/**
 * The Admin API's TLS certificate of one ControlPlane: a serving certificate for the `<cp>-admin`
 * Service's DNS names in `<cp>-admin-tls` (tls.crt, tls.key, ca.crt = the trust bundle; mounted in the
 * CP, read by the operator to verify it), signed by a per-ControlPlane admin CA in `<cp>-admin-ca`,
 * which is never mounted anywhere. Renewal and CA rotation are the cluster pki's (planPki), so the
 * trust bundle overlaps old and new CA while a rotation is under way.
 *
 * Always the operator's own CA, whatever spec.certificates.provider says: the only client of this
 * certificate is the operator (and tools given ca.crt), the trust it needs is a Secret the operator
 * writes itself, and a cert-manager issuer (ACME, Vault, a ClusterIssuer shared with other teams) would
 * put the Admin API's trust in someone else's hands and may not deliver a ca.crt at all.
 */
export function planAdminCertificates(w: {
  controlPlane: ControlPlane;
  secrets: ReadonlyMap<string, KubeSecret | undefined>;
  now: number;
  propagationDelayMs: number;
}): CertificatePlan {
  const cp = w.controlPlane;
  const name = cp.metadata.name!;
  const ns = cp.metadata.namespace!;
  const n = controlPlaneNames(name);
  const c = cp.spec.certificates;
  const durationMs = parseDuration(c.duration, 'spec.certificates.duration');
  const renewBeforeMs = parseDuration(c.renewBefore, 'spec.certificates.renewBefore');
  if (renewBeforeMs >= durationMs) {
    const message = 'spec.certificates.renewBefore must be shorter than duration';
    return {
      apply: [],
      events: [],
      ready: false,
      reason: 'CertificatesInvalid',
      message,
      status: {},
    };
  }
  const owner = controllerRef(cp as unknown as KubeObject);
  return planPki(
    {
      controlPlane: name,
      namespace: ns,
      cluster: clusterOf(cp),
      owner,
      mode: 'pki',
      durationMs,
      renewBeforeMs,
      secrets: w.secrets,
      leaves: [
        {
          secretName: n.adminTlsSecret,
          usage: 'server',
          commonName: serviceHost(n.adminService, ns),
          dnsNames: serviceDnsNames(n.adminService, ns),
          owner,
        },
      ],
      now: w.now,
      propagationDelayMs: w.propagationDelayMs,
      rotateRequest: cp.metadata.annotations?.[ROTATE_ADMIN_CA_ANNOTATION],
    },
    undefined,
    { caName: n.adminCaSecret, caTitle: 'admin API CA' },
  );
}
