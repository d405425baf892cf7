import type { KubeApi, KubeObject } from './kube-api.js';
import { downwardValue } from './downward.js';
import type { Container, Pod } from './pod-types.js';

/** An env var the local node cannot resolve: which one and why (the container does not start). */
export class EnvError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`env ${variable}: ${message}`);
    this.name = 'EnvError';
  }
}

/** What the env of a container depends on besides the pod. */
export interface EnvContext {
  api: KubeApi;
  pod: Pod;
  podIP: string;
  hostIP: string;
  /** The apiserver as pods reach it (KUBERNETES_SERVICE_HOST/PORT). */
  apiHost: string;
  apiPort: number;
}

type DataObject = KubeObject & { data?: Record<string, string> };

/**
 * The container's environment as the kubelet builds it: envFrom first, then env (later wins; $(VAR)
 * references to earlier variables expanded), literal values and secretKeyRef / configMapKeyRef /
 * fieldRef / resourceFieldRef, plus the apiserver's KUBERNETES_SERVICE_* variables.
 */
export async function containerEnv(ctx: EnvContext, container: Container): Promise<Record<string, string>> {
  const ns = ctx.pod.metadata.namespace;
  const cache = new Map<string, DataObject | undefined>();
  const fetch = async (kind: 'secrets' | 'configmaps', name: string): Promise<DataObject | undefined> => {
    const key = `${kind}/${name}`;
    if (!cache.has(key))
      cache.set(key, await ctx.api.getOrUndefined<DataObject>(`/api/v1/namespaces/${ns}/${kind}/${name}`));
    return cache.get(key);
  };
  const decode = (kind: 'secrets' | 'configmaps', v: string) =>
    kind === 'secrets' ? Buffer.from(v, 'base64').toString('utf8') : v;

  const env: Record<string, string> = {
    KUBERNETES_SERVICE_HOST: ctx.apiHost,
    KUBERNETES_SERVICE_PORT: String(ctx.apiPort),
    KUBERNETES_SERVICE_PORT_HTTPS: String(ctx.apiPort),
    KUBERNETES_PORT: `tcp://${ctx.apiHost}:${ctx.apiPort}`,
    HOSTNAME: ctx.pod.spec.hostname ?? ctx.pod.metadata.name,
  };
  for (const from of container.envFrom ?? []) {
    const kind = from.secretRef ? 'secrets' : 'configmaps';
    const ref = from.secretRef ?? from.configMapRef;
    if (!ref) continue;
    const obj = await fetch(kind, ref.name);
    if (!obj) {
      if (ref.optional) continue;
      throw new EnvError(`envFrom ${kind === 'secrets' ? 'secret' : 'configmap'}`, `"${ref.name}" not found`);
    }
    for (const [k, v] of Object.entries(obj.data ?? {})) env[`${from.prefix ?? ''}${k}`] = decode(kind, v);
  }
  for (const v of container.env ?? []) {
    if (v.value !== undefined || !v.valueFrom) {
      env[v.name] = expand(v.value ?? '', env);
      continue;
    }
    const from = v.valueFrom;
    const keyRef = from.secretKeyRef ?? from.configMapKeyRef;
    if (keyRef) {
      const kind = from.secretKeyRef ? 'secrets' : 'configmaps';
      const obj = await fetch(kind, keyRef.name);
      const raw = obj?.data?.[keyRef.key];
      if (raw === undefined) {
        if (keyRef.optional) continue;
        const what = kind === 'secrets' ? 'secret' : 'configmap';
        throw new EnvError(
          v.name,
          obj ? `key "${keyRef.key}" not in ${what} "${keyRef.name}"` : `${what} "${keyRef.name}" not found`,
        );
      }
      env[v.name] = decode(kind, raw);
    } else if (from.fieldRef) {
      const value = downwardValue(ctx.pod, from.fieldRef.fieldPath, ctx.podIP, ctx.hostIP);
      if (value === undefined) throw new EnvError(v.name, `unsupported fieldRef ${from.fieldRef.fieldPath}`);
      env[v.name] = value;
    } else if (from.resourceFieldRef) {
      env[v.name] = resourceValue(v.name, container, from.resourceFieldRef);
    } else {
      throw new EnvError(v.name, `unsupported valueFrom ${Object.keys(from).join(',')}`);
    }
  }
  return env;
}

/** $(NAME) → an earlier variable's value; $$ escapes; unknown references stay as written (kubelet rules). */
function expand(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) =>
    name === undefined ? '$' : (env[name] ?? m),
  );
}

/** limits/requests of cpu or memory, in the divisor's unit (default 1); a missing limit is the node's capacity. */
function resourceValue(
  variable: string,
  container: Container,
  ref: { resource: string; divisor?: string },
): string {
  const [kind, name] = ref.resource.split('.') as [string, string];
  const raw = (kind === 'limits' ? container.resources?.limits : container.resources?.requests)?.[name];
  const fallback = name === 'cpu' ? '16' : name === 'memory' ? '64Gi' : undefined;
  const quantity = raw ?? (kind === 'limits' ? fallback : '0');
  if (quantity === undefined) throw new EnvError(variable, `unsupported resourceFieldRef ${ref.resource}`);
  const value = parseQuantity(quantity);
  const divisor = parseQuantity(ref.divisor ?? '1');
  if (value === undefined || !divisor) throw new EnvError(variable, `cannot parse quantity "${quantity}"`);
  return String(Math.ceil(value / divisor));
}

const SUFFIXES: Record<string, number> = {
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

function parseQuantity(q: string): number | undefined {
  const m = /^([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(q.trim());
  if (!m) return undefined;
  return Number(m[1]) * SUFFIXES[m[2] ?? '']!;
}
