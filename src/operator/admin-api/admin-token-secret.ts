import { randomBytes } from 'node:crypto';
import type { KubeObject } from '../../api/meta.js';
import type { ControlPlane } from '../../api/v1alpha1/index.js';
import type { PlannedEvent } from '../certificates/plan-types.js';
import { buildSecret, secretText, type KubeSecret } from '../certificates/secrets.js';
import { clusterOf } from '../resources/labels.js';
import { controlPlaneNames } from '../resources/names.js';
import { controllerRef } from '../resources/owner.js';

/** The key of the token Secret that holds the token (mounted as the CP's admin_auth_tokens_file). */
export const ADMIN_TOKEN_KEY = 'token';

// What the runtime accepts (admin-tokens.ts): at least 16 visible ASCII characters on one line.
const USABLE_TOKEN = /^[\x21-\x7e]{16,}$/;

/** A fresh token: 32 random bytes, base64url (43 characters, header-safe, no padding). */
export function newAdminToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The token a token Secret holds, or undefined when it is absent or not one the runtime would accept. */
export function tokenOf(secret: KubeSecret | undefined): string | undefined {
  const token = secretText(secret)?.[ADMIN_TOKEN_KEY]?.trim();
  return token && USABLE_TOKEN.test(token) ? token : undefined;
}

/**
 * The `<cp>-admin-token` Secret to apply, or nothing. A Secret that exists with a usable token is never
 * touched (the token must survive reconciles, restarts and leader changes: the CP and every client
 * hold it); only an absent or unusable one gets a new token. Owned by the ControlPlane, so it goes
 * with it; labelled like the certificate Secrets, so its events reach the ControlPlane's reconcile.
 * The token itself never goes into an event or a log line.
 */
export function planAdminToken(
  cp: ControlPlane,
  existing: KubeSecret | undefined,
  token: () => string = newAdminToken,
): { apply: KubeSecret[]; events: PlannedEvent[] } {
  if (tokenOf(existing)) return { apply: [], events: [] };
  const name = controlPlaneNames(cp.metadata.name!).adminTokenSecret;
  const secret = buildSecret({
    name,
    namespace: cp.metadata.namespace!,
    controlPlane: cp.metadata.name!,
    cluster: clusterOf(cp),
    owner: controllerRef(cp as unknown as KubeObject),
    type: 'Opaque',
    data: { [ADMIN_TOKEN_KEY]: token() },
  });
  // A new Secret is announced by ensureObjects' Created event; only a replaced one needs saying why.
  const events: PlannedEvent[] = existing
    ? [
        {
          type: 'Warning',
          reason: 'AdminTokenReplaced',
          message: `Secret ${name} held no usable token (key ${ADMIN_TOKEN_KEY}: at least 16 visible characters); a new one was written`,
        },
      ]
    : [];
  return { apply: [secret], events };
}
