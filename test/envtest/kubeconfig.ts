import { stringify } from 'yaml';

/** One identity of the test cluster (a bearer token from the apiserver's --token-auth-file). */
export interface TokenUser {
  name: string;
  token: string;
}

/**
 * A kubeconfig with one context per user against the test apiserver; the first user's context is the
 * current one. The apiserver's self-generated serving certificate chain is the trusted CA.
 */
export function renderKubeconfig(
  server: string,
  caPem: string,
  users: TokenUser[],
  current?: string,
): string {
  const caData = Buffer.from(caPem).toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'envtest', cluster: { server, 'certificate-authority-data': caData } }],
    users: users.map((u) => ({ name: u.name, user: { token: u.token } })),
    contexts: users.map((u) => ({
      name: u.name,
      context: { cluster: 'envtest', user: u.name, namespace: 'default' },
    })),
    'current-context': current ?? users[0]?.name,
  });
}
