import { fleetAdminClient } from '../../../src/operator/controllers/fleet-status/admin-client.js';
import {
  adminCallFailed,
  adminTransport,
  type AdminEndpoint,
  type AdminResponse,
} from '../../../src/operator/admin-api/admin-request.js';
import type { DataPlaneRow } from '../../../src/operator/status/fleet-status.js';
import { PORTS } from '../../../src/shared/contract.js';
import type { E2ECluster } from '../cluster/e2e-cluster.js';
import { getJsonOrNone, listPods, podSelector } from './kube.js';

/** The CP's Admin API as the scenarios use it; every call goes to the CP pod that is ready now. */
export interface AdminApi {
  /** One call; resolves with any status (callers decide), rejects only when the CP is unreachable. */
  request(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<AdminResponse>;
  /** Like request, but rejects unless the status is one of `expect`. */
  call(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body: unknown,
    expect: number[],
  ): Promise<unknown>;
  /** GET /clustering/config-hash: the hash a synced data plane runs. */
  configHash(): Promise<string>;
  /** Every row of GET /clustering/data-planes (all pages). */
  dataPlanes(): Promise<DataPlaneRow[]>;
  /** Which pod answers now and how it is protected (for failure messages). */
  describe(): string;
  close(): Promise<void>;
}

interface Connection {
  pod: string;
  endpoint: AdminEndpoint;
  transport: ReturnType<typeof adminTransport>;
  fleet: ReturnType<typeof fleetAdminClient>;
  release(): Promise<void>;
}

/**
 * The pod's Admin API port: the container port named `admin` (the operator moves it to 8444 when it
 * turns TLS on), else the port of status.endpoints.admin, else Kong's 8001.
 */
async function adminPortOf(
  cluster: E2ECluster,
  namespace: string,
  pod: string,
  endpoint: string | undefined,
): Promise<number> {
  const spec = await getJsonOrNone<{
    spec?: { containers?: { ports?: { name?: string; containerPort: number }[] }[] };
  }>(cluster, ['get', 'pod', pod, '-n', namespace]);
  const named = (spec?.spec?.containers ?? [])
    .flatMap((c) => c.ports ?? [])
    .find((p) => p.name === 'admin' || p.name === 'admin-ssl');
  if (named) return named.containerPort;
  const m = endpoint ? /:(\d+)$/.exec(endpoint) : null;
  return m ? Number(m[1]) : PORTS.admin;
}

const decode = (b64: string | undefined): string | undefined =>
  b64 === undefined ? undefined : Buffer.from(b64, 'base64').toString('utf8');

/**
 * Reaches the Admin API of ControlPlane `cp` in `namespace` through `cluster.reachPod` on the ready CP
 * pod's admin port. Works whether or not the operator protects the Admin API: when Secret
 * `<cp>-admin-token` exists its `token` is sent as a bearer token; when the ControlPlane's
 * status.endpoints.admin is https, TLS is used with the CA in Secret `<cp>-admin-tls` (`ca.crt`) and the
 * Service's DNS name as the server name. A call that cannot reach the pod drops the connection so the
 * next call finds the CP pod again (it is replaced when deleted).
 */
export function adminApiFor(cluster: E2ECluster, namespace: string, cp: string): AdminApi {
  let conn: Promise<Connection> | undefined;

  const connect = async (): Promise<Connection> => {
    const pods = (await listPods(cluster, namespace, podSelector(cp, 'control-plane'))).filter(
      (p) => p.ready && p.deletionRequestedAt === undefined,
    );
    if (pods.length === 0) throw new Error(`no ready control plane pod of ${namespace}/${cp}`);
    const pod = pods[0]!.name;
    const cpObj = await getJsonOrNone<{ status?: { endpoints?: { admin?: string } } }>(cluster, [
      'get',
      'controlplane',
      cp,
      '-n',
      namespace,
    ]);
    const tls = (cpObj?.status?.endpoints?.admin ?? '').startsWith('https://');
    const tokenSecret = await getJsonOrNone<{ data?: Record<string, string> }>(cluster, [
      'get',
      'secret',
      `${cp}-admin-token`,
      '-n',
      namespace,
    ]);
    const token = decode(tokenSecret?.data?.['token']);
    let ca: string | undefined;
    if (tls) {
      const tlsSecret = await getJsonOrNone<{ data?: Record<string, string> }>(cluster, [
        'get',
        'secret',
        `${cp}-admin-tls`,
        '-n',
        namespace,
      ]);
      ca = decode(tlsSecret?.data?.['ca.crt']);
      if (!ca)
        throw new Error(
          `the Admin API of ${namespace}/${cp} is https but Secret ${cp}-admin-tls has no ca.crt`,
        );
    }
    const port = await adminPortOf(cluster, namespace, pod, cpObj?.status?.endpoints?.admin);
    const reach = await cluster.reachPod(namespace, pod, port);
    const endpoint: AdminEndpoint = {
      url: `${tls ? 'https' : 'http'}://${reach.host}:${reach.port}`,
      ...(token ? { token } : {}),
      ...(ca ? { ca, serverName: `${cp}-admin.${namespace}.svc` } : {}),
    };
    const transport = adminTransport(endpoint, { timeoutMs: 5_000 });
    const fleet = fleetAdminClient(endpoint, { timeoutMs: 5_000 });
    return {
      pod,
      endpoint,
      transport,
      fleet,
      release: async () => {
        await Promise.allSettled([transport.close(), fleet.close()]);
        await reach.close();
      },
    };
  };

  let current: Connection | undefined;
  const get = async (): Promise<Connection> => {
    conn ??= connect().then(
      (c) => (current = c),
      (err: unknown) => {
        conn = undefined;
        throw err;
      },
    );
    return conn;
  };
  // Only "unreachable" drops the connection: an answered call proves the pod is the right one.
  const withConn = async <T>(use: (c: Connection) => Promise<T>): Promise<T> => {
    const c = await get();
    try {
      return await use(c);
    } catch (err) {
      if ((err as { code?: string }).code === 'ADMIN_API_UNREACHABLE' && conn) {
        conn = undefined;
        current = undefined;
        await c.release();
      }
      throw err;
    }
  };

  const api: AdminApi = {
    request: (method, path, body) => withConn((c) => c.transport.request(method, path, body)),
    async call(method, path, body, expect) {
      return withConn(async (c) => {
        const res = await c.transport.request(method, path, body);
        if (!expect.includes(res.status)) throw adminCallFailed(c.transport.base, method, path, res);
        return res.body;
      });
    },
    configHash: () => withConn((c) => c.fleet.configHash()),
    dataPlanes: () => withConn((c) => c.fleet.dataPlanes()),
    describe: () =>
      current
        ? `${namespace}/${current.pod} at ${current.endpoint.url} (token: ${current.endpoint.token ? 'yes' : 'no'}, tls: ${current.endpoint.ca ? 'yes' : 'no'})`
        : `${namespace}/${cp} (not connected)`,
    async close() {
      const c = conn;
      conn = undefined;
      current = undefined;
      if (c) await c.then((x) => x.release()).catch(() => undefined);
    },
  };
  return api;
}
