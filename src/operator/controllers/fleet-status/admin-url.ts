import type { Kube } from '../../../api/meta.js';
import type { ControlPlane } from '../../../api/v1alpha1/index.js';
import { PORTS } from '../../../shared/contract.js';
import { controlPlaneNames } from '../../resources/names.js';

/**
 * ControlPlane annotation giving the Admin API's URL instead of the Service's DNS name. Honoured only
 * when the operator runs with `allowAdminUrlOverride` (tests run the CP outside the cluster): otherwise
 * anyone who may edit a ControlPlane could make the operator call any URL.
 */
export const ADMIN_URL_OVERRIDE_ANNOTATION = 'hybridgate.dev/admin-url-override';

/** The Admin API URL of a ControlPlane: its `<cp>-admin` Service, or the override when allowed. */
export function adminUrlOf(cp: Kube<ControlPlane>, allowOverride: boolean): string {
  const override = cp.metadata.annotations?.[ADMIN_URL_OVERRIDE_ANNOTATION];
  if (allowOverride && override) return override;
  const ns = cp.metadata.namespace ?? 'default';
  return `http://${controlPlaneNames(cp.metadata.name ?? '').adminService}.${ns}.svc:${PORTS.admin}`;
}
