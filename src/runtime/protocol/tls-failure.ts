import { errorMessage } from '../../shared/errors.js';

/**
 * OpenSSL's verification codes (as Node reports them in `err.code`) in the words of the cluster link:
 * who presented what, and what was expected. The DP's own checks (depth, EKU, name) already speak so.
 */
const EXPLAINED: Record<string, string> = {
  CERT_HAS_EXPIRED: 'control plane certificate has expired',
  CERT_NOT_YET_VALID: 'control plane certificate is not yet valid',
  INVALID_PURPOSE:
    'control plane certificate lacks the extended key usage "TLS Web Server Authentication" (unsuitable certificate purpose)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    'control plane certificate is not issued by cluster_ca_cert (unable to verify the first certificate)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'control plane certificate chain does not lead to cluster_ca_cert',
  SELF_SIGNED_CERT_IN_CHAIN: 'control plane certificate chain ends in a root that is not cluster_ca_cert',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'control plane certificate is self-signed and not cluster_ca_cert',
  CERT_SIGNATURE_FAILURE: 'control plane certificate signature does not verify',
  ERR_TLS_CERT_ALTNAME_INVALID: 'control plane certificate does not match the expected server name',
};

/** A one-line reason for a failed connection to the CP, from a TLS/socket error. */
export function describeTlsFailure(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  const msg = errorMessage(err).replace(/^Error: /, '');
  if (typeof code === 'string' && EXPLAINED[code]) return `${EXPLAINED[code]} [${code}]`;
  return msg;
}
