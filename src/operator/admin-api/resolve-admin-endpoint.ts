import type { Kube } from '../../api/meta.js';
import type { ControlPlane } from '../../api/v1alpha1/index.js';
import { PORTS } from '../../shared/contract.js';
import { secretText, type KubeSecret } from '../certificates/secrets.js';
import { controlPlaneNames, serviceHost } from '../resources/names.js';
import { AdminApiError, type AdminEndpoint } from './admin-request.js';
import { tokenOf } from './admin-token-secret.js';

/**
 * ControlPlane annotation giving the Admin API's URL instead of the Service's DNS name. Honoured only
 * when the operator runs with `allowOverride` (tests run the CP outside the cluster): otherwise anyone
 * who may edit a ControlPlane could make the operator send its token to any URL. The TLS name checked
 * stays the Service's, so even an override is verified against the ControlPlane's own certificate.
 */
export const ADMIN_URL_OVERRIDE_ANNOTATION = 'hybridgate.dev/admin-url-override';

/** Where Secrets are read from: an informer's cache (no GET per call). */
export interface SecretSource {
  get(namespace: string, name: string): KubeSecret | undefined;
}

/** A SecretSource over an informer's cache (keys `namespace/name`). */
export function informerSecrets(informer: { get(key: string): unknown }): SecretSource {
  return { get: (namespace, name) => informer.get(`${namespace}/${name}`) as KubeSecret | undefined };
}

/** The in-cluster Admin API URL of a ControlPlane: `https://<cp>-admin.<ns>.svc:8444`. */
export function adminServiceUrl(cp: Kube<ControlPlane>): string {
  const ns = cp.metadata.namespace ?? 'default';
  return `https://${serviceHost(controlPlaneNames(cp.metadata.name ?? '').adminService, ns)}:${PORTS.adminSsl}`;
}

/**
 * How the operator reaches a ControlPlane's Admin API: the Service URL (or the override when
 * allowed), the token from `<cp>-admin-token` and the CA bundle from `<cp>-admin-tls` (ca.crt), with
 * the Service's DNS name as the TLS server name. Throws AdminApiError ADMIN_CREDENTIALS_MISSING
 * naming the Secret and key while the operator has not written them yet (callers treat it like an
 * unreachable CP and try again).
 */
export async function resolveAdminEndpoint(
  cp: Kube<ControlPlane>,
  secrets: SecretSource,
  allowOverride: boolean,
): Promise<AdminEndpoint> {
  const ns = cp.metadata.namespace ?? 'default';
  const n = controlPlaneNames(cp.metadata.name ?? '');
  const override = cp.metadata.annotations?.[ADMIN_URL_OVERRIDE_ANNOTATION];
  const url = allowOverride && override ? override : adminServiceUrl(cp);
  const missing = (secret: string, key: string, expected: string) =>
    new AdminApiError(
      'ADMIN_CREDENTIALS_MISSING',
      `Secret ${ns}/${secret} has no usable key ${key} (expected ${expected}); the operator writes it when it reconciles the ControlPlane`,
      { namespace: ns, secret, key },
    );
  const token = tokenOf(secrets.get(ns, n.adminTokenSecret));
  if (!token) throw missing(n.adminTokenSecret, 'token', 'a token of at least 16 visible characters');
  const ca = secretText(secrets.get(ns, n.adminTlsSecret))?.['ca.crt'];
  if (!ca || !ca.includes('-----BEGIN CERTIFICATE-----'))
    throw missing(n.adminTlsSecret, 'ca.crt', 'a PEM CA bundle');
  return { url, token, ca, serverName: serviceHost(n.adminService, ns) };
}
