import type { Kube } from '../../../api/meta.js';
import type { ControlPlane } from '../../../api/v1alpha1/index.js';
import { ADMIN_URL_OVERRIDE_ANNOTATION, adminServiceUrl } from '../../admin-api/resolve-admin-endpoint.js';

export { ADMIN_URL_OVERRIDE_ANNOTATION };

/**
 * The Admin API URL of a ControlPlane: its `<cp>-admin` Service (https, 8444), or the override when
 * allowed. Only the URL: callers that make calls use resolveAdminEndpoint (token and CA too).
 */
export function adminUrlOf(cp: Kube<ControlPlane>, allowOverride: boolean): string {
  const override = cp.metadata.annotations?.[ADMIN_URL_OVERRIDE_ANNOTATION];
  return allowOverride && override ? override : adminServiceUrl(cp);
}
