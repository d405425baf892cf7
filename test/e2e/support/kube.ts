import type { E2ECluster } from '../cluster/e2e-cluster.js';

/** The fields of a Pod the scenarios look at. */
export interface PodView {
  name: string;
  uid: string;
  ip?: string;
  phase?: string;
  ready: boolean;
  /** When the pod's deletion was requested (deletionTimestamp minus its grace period), epoch ms. */
  deletionRequestedAt?: number;
  labels: Record<string, string>;
}

/** A kubectl answer that was not the JSON the scenario asked for. */
export class KubectlOutputError extends Error {
  /** `args` are the kubectl arguments; `detail` says what was wrong. */
  constructor(args: string[], detail: string) {
    super(`kubectl ${args.join(' ')}: ${detail}`);
    this.name = 'KubectlOutputError';
  }
}

/** Runs `kubectl <args> -o json` and parses the answer. */
export async function getJson<T = Record<string, unknown>>(cluster: E2ECluster, args: string[]): Promise<T> {
  const full = [...args, '-o', 'json'];
  const out = await cluster.kubectl(full);
  try {
    return JSON.parse(out) as T;
  } catch {
    throw new KubectlOutputError(full, `not JSON: ${out.slice(0, 200)}`);
  }
}

/** Like getJson for one object, but undefined when it does not exist. */
export async function getJsonOrNone<T = Record<string, unknown>>(
  cluster: E2ECluster,
  args: string[],
): Promise<T | undefined> {
  const full = [...args, '--ignore-not-found', '-o', 'json'];
  // With --ignore-not-found kubectl prints nothing for a missing object.
  const out = (await cluster.kubectl(full)).trim();
  if (out === '') return undefined;
  try {
    return JSON.parse(out) as T;
  } catch {
    throw new KubectlOutputError(full, `not JSON: ${out.slice(0, 200)}`);
  }
}

/** The label selector of the pods the operator runs for a ControlPlane or DataPlane named `instance`. */
export function podSelector(instance: string, component: 'control-plane' | 'data-plane'): string {
  return `app.kubernetes.io/name=hybridgate,app.kubernetes.io/instance=${instance},app.kubernetes.io/component=${component}`;
}

interface RawPod {
  metadata: {
    name: string;
    uid: string;
    labels?: Record<string, string>;
    deletionTimestamp?: string;
    deletionGracePeriodSeconds?: number;
  };
  status?: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] };
}

/** A Pod object → PodView. */
export function podView(p: RawPod): PodView {
  const ready = (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  const view: PodView = {
    name: p.metadata.name,
    uid: p.metadata.uid,
    ready,
    labels: p.metadata.labels ?? {},
  };
  if (p.status?.podIP) view.ip = p.status.podIP;
  if (p.status?.phase) view.phase = p.status.phase;
  if (p.metadata.deletionTimestamp) {
    // deletionTimestamp is when the kill is due: the request came a grace period earlier.
    view.deletionRequestedAt =
      Date.parse(p.metadata.deletionTimestamp) - (p.metadata.deletionGracePeriodSeconds ?? 0) * 1000;
  }
  return view;
}

/** The pods matching `selector` in `namespace`, sorted by name. */
export async function listPods(cluster: E2ECluster, namespace: string, selector: string): Promise<PodView[]> {
  const list = await getJson<{ items: RawPod[] }>(cluster, ['get', 'pods', '-n', namespace, '-l', selector]);
  return list.items.map(podView).sort((a, b) => a.name.localeCompare(b.name));
}

/** Sets `path` (dot-separated) in a plain object, making intermediate objects. */
export function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let cur = obj;
  for (const k of keys.slice(0, -1)) {
    if (typeof cur[k] !== 'object' || cur[k] === null) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1]!] = value;
}

/** Reads a dot-separated path from a parsed object (undefined when any step is missing). */
export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const k of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}
