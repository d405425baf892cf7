import type { Kube } from '../../../api/meta.js';
import type { ControlPlane } from '../../../api/v1alpha1/index.js';
import type { AdminEndpoint } from '../../admin-api/admin-request.js';
import { resolveAdminEndpoint, type SecretSource } from '../../admin-api/resolve-admin-endpoint.js';

/**
 * Where the GitOps controller reaches a ControlPlane's Admin API: the same endpoint as every other
 * operator client (Service URL or the test-only override, the admin token and the CA from the
 * operator's Secrets). One function so the controller never builds an endpoint itself.
 */
export function gitOpsAdminEndpoint(
  cp: Kube<ControlPlane>,
  secrets: SecretSource,
  allowOverride: boolean,
): Promise<AdminEndpoint> {
  return resolveAdminEndpoint(cp, secrets, allowOverride);
}
