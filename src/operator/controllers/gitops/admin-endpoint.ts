import type { Kube } from '../../../api/meta.js';
import type { ControlPlane } from '../../../api/v1alpha1/index.js';
import type { AdminEndpoint } from '../../admin-api/admin-request.js';
import { adminUrlOf } from '../fleet-status/admin-url.js';

/**
 * Where the GitOps controller reaches a ControlPlane's Admin API. The one place to switch to
 * `resolveAdminEndpoint(cp, secrets, allowOverride)` (token and CA too) once it is in
 * src/operator/admin-api/: until then, the URL only.
 */
export async function gitOpsAdminEndpoint(
  cp: Kube<ControlPlane>,
  allowOverride: boolean,
): Promise<AdminEndpoint> {
  return { url: adminUrlOf(cp, allowOverride) };
}
