import { writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { ADMIN_URL_OVERRIDE_ANNOTATION } from '../../src/operator/admin-api/resolve-admin-endpoint.js';
import type { KubeClient } from '../../src/operator/kube/kube-client.js';
import { resourcePath, RESOURCES } from '../../src/operator/kube/resources.js';
import type { Workspace } from '../cluster/helpers/hybrid-cluster.js';
import { DATAPLANE_NODE_LABEL, POD_NODE_LABEL } from '../../src/operator/status/fleet-status.js';
import { LABELS } from '../../src/shared/contract.js';
import {
  controlPlaneEnv,
  dataPlaneEnv,
  startHybridgate,
  type CertFiles,
  type StartedNode,
} from '../cluster/helpers/hybrid-cluster.js';
import { pollUntil } from './poll.js';

/** A CP process run as the operator would run it: the operator-made Secrets, token auth, TLS only. */
export interface ProtectedControlPlane {
  node: StartedNode;
  /** The token of `<cp>-admin-token`, and the CA bundle of `<cp>-admin-tls`. */
  token: string;
  ca: string;
  /** The Admin API's TLS port on 127.0.0.1. */
  port: number;
  /** The Service DNS name the certificate is verified against. */
  serverName: string;
  /** The cluster certificate files (the shared pair of `<cp>-cluster-cert`), for DPs. */
  clusterCerts: CertFiles;
  /** One Admin API call over TLS verified by the CA; `token: null` sends none. */
  call(
    method: string,
    path: string,
    opts?: { body?: unknown; token?: string | null },
  ): Promise<{ status: number; body: string }>;
  /** A call that must answer 2xx; the parsed body. */
  json<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>;
}

type Secret = { data?: Record<string, string> };
const decode = (s: Secret, key: string): string => {
  const v = s.data?.[key];
  if (v === undefined) throw new Error(`Secret has no key ${key}`);
  return Buffer.from(v, 'base64').toString('utf8');
};

/**
 * Waits for the operator to write a shared-mode ControlPlane's Secrets (admin token, admin TLS,
 * cluster certificate), writes them to files as the pod's mounts would hold them, starts the CP with
 * admin_auth = token and admin_listen `ssl` only (as the rendered pod does), and points the ControlPlane's
 * test-only override at it.
 */
export async function startProtectedControlPlane(
  admin: KubeClient,
  ws: Workspace,
  namespace: string,
  name: string,
  opts: { extra?: Record<string, string> } = {},
): Promise<ProtectedControlPlane> {
  const get = (secret: string) =>
    admin.request<Secret>({
      method: 'GET',
      path: resourcePath(RESOURCES.Secret, { namespace, name: secret }),
    });
  const [tokenSecret, tls, cluster] = await pollUntil('the operator-made Secrets', async () => {
    try {
      return await Promise.all([
        get(`${name}-admin-token`),
        get(`${name}-admin-tls`),
        get(`${name}-cluster-cert`),
      ]);
    } catch {
      return undefined;
    }
  });
  const dir = ws.root;
  const file = (n: string, text: string) => {
    const p = join(dir, `${name}-${n}`);
    writeFileSync(p, text, { mode: 0o600 });
    return p;
  };
  const token = decode(tokenSecret, 'token');
  const ca = decode(tls, 'ca.crt');
  const clusterCerts = {
    cert: file('cluster.crt', decode(cluster, 'tls.crt')),
    key: file('cluster.key', decode(cluster, 'tls.key')),
  };
  const node = await startHybridgate(
    name,
    controlPlaneEnv(ws, clusterCerts, {
      name,
      extra: {
        HYBRIDGATE_ADMIN_LISTEN: '127.0.0.1:0 ssl',
        HYBRIDGATE_ADMIN_SSL_CERT: file('admin.crt', decode(tls, 'tls.crt')),
        HYBRIDGATE_ADMIN_SSL_CERT_KEY: file('admin.key', decode(tls, 'tls.key')),
        HYBRIDGATE_ADMIN_AUTH: 'token',
        HYBRIDGATE_ADMIN_AUTH_TOKENS_FILE: file('admin-token', token),
        ...opts.extra,
      },
    }),
  );
  const port = node.port('admin_ssl');
  const serverName = `${name}-admin.${namespace}.svc`;
  const call: ProtectedControlPlane['call'] = (method, path, o = {}) => {
    const payload = o.body === undefined ? undefined : JSON.stringify(o.body);
    const headers: Record<string, string> = payload ? { 'content-type': 'application/json' } : {};
    const t = o.token === undefined ? token : o.token;
    if (t !== null) headers['authorization'] = `Bearer ${t}`;
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method,
          path,
          headers,
          ca,
          servername: serverName,
          agent: false,
          timeout: 10_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
          );
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  };
  const json = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await call(method, path, { body });
    if (res.status < 200 || res.status > 299)
      throw new Error(`${method} ${path} answered ${res.status}: ${res.body}`);
    return (res.body ? JSON.parse(res.body) : null) as T;
  };
  // https to 127.0.0.1, still verified against the Service name (resolveAdminEndpoint keeps it).
  await admin.request({
    method: 'PATCH',
    path: resourcePath(RESOURCES.ControlPlane, { namespace, name }),
    contentType: 'application/merge-patch+json',
    body: { metadata: { annotations: { [ADMIN_URL_OVERRIDE_ANNOTATION]: `https://127.0.0.1:${port}` } } },
  });
  return { node, token, ca, port, serverName, clusterCerts, call, json };
}

/**
 * A DP process for `pod` of DataPlane `dataPlane`, with the operator-made cluster certificate and
 * labels naming its DataPlane and pod (all processes share this host's name), and a Pod object standing
 * in for its pod (no kubelet).
 */
export async function startDataPlaneNode(
  admin: KubeClient,
  ws: Workspace,
  cp: ProtectedControlPlane,
  where: { namespace: string; dataPlane: string; pod: string },
  extra: Record<string, string> = {},
): Promise<StartedNode> {
  const { namespace, dataPlane, pod } = where;
  await admin.request({
    method: 'POST',
    path: resourcePath(RESOURCES.Pod, { namespace }),
    body: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: pod, labels: { [LABELS.instance]: dataPlane, [LABELS.component]: 'data-plane' } },
      spec: { containers: [{ name: 'dp', image: 'hybridgate/hybridgate:0.1.0' }] },
    },
  });
  return startHybridgate(
    pod,
    dataPlaneEnv(ws, pod, cp.clusterCerts, cp.node.port('cluster'), {
      HYBRIDGATE_CLUSTER_DP_LABELS: `${DATAPLANE_NODE_LABEL}:${dataPlane},${POD_NODE_LABEL}:${pod}`,
      ...extra,
    }),
  );
}
