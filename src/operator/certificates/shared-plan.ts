import { issueShared } from './issue.js';
import type { CertificateInputs, CertificatePlan } from './plan-types.js';
import { buildSecret, secretText } from './secrets.js';
import { validateCertificateSecret } from './validate.js';

/**
 * Shared mode with provider `operator`: one self-signed kong_clustering pair in `<cp>-cluster-cert`,
 * mounted by the CP and every DP. Renewed renewBefore ahead of expiry; both sides pick up the new files
 * (the runtime reloads them), so no pod restarts.
 */
export function planShared(input: CertificateInputs): CertificatePlan {
  const name = `${input.controlPlane}-cluster-cert`;
  const data = secretText(input.secrets.get(name));
  const v = validateCertificateSecret(name, data, { now: input.now, requireCa: false });
  const renewAt = (v.notAfter ?? 0) - input.renewBeforeMs;
  if (v.problems.length === 0 && input.now < renewAt) {
    return {
      apply: [],
      events: [],
      ready: true,
      reason: 'CertificatesIssued',
      message: `shared cluster certificate in Secret ${name}`,
      status: {
        secretName: name,
        notAfter: new Date(v.notAfter!).toISOString(),
        renewalTime: new Date(renewAt).toISOString(),
      },
      nextCheckAt: renewAt,
    };
  }
  const pair = issueShared(input.now, input.durationMs);
  const secret = buildSecret({
    name,
    namespace: input.namespace,
    controlPlane: input.controlPlane,
    cluster: input.cluster,
    owner: input.owner,
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': pair.certPem, 'tls.key': pair.keyPem },
  });
  const notAfter = validateCertificateSecret(
    name,
    { 'tls.crt': pair.certPem, 'tls.key': pair.keyPem },
    { now: input.now, requireCa: false },
  ).notAfter!;
  return {
    apply: [secret],
    events: [
      {
        type: 'Normal',
        reason: data ? 'CertificateRenewed' : 'CertificateIssued',
        message: `${data ? 're-issued' : 'issued'} the shared cluster certificate in Secret ${name}${data ? ` (${v.problems[0] ?? 'due for renewal'})` : ''}`,
      },
    ],
    ready: true,
    reason: 'CertificatesIssued',
    message: `shared cluster certificate in Secret ${name}`,
    status: {
      secretName: name,
      notAfter: new Date(notAfter).toISOString(),
      renewalTime: new Date(notAfter - input.renewBeforeMs).toISOString(),
    },
    nextCheckAt: notAfter - input.renewBeforeMs,
  };
}
