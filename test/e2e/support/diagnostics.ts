import type { E2ECluster } from '../cluster/e2e-cluster.js';

/** Where to look when a scenario fails: namespaces whose pods and objects are dumped. */
export interface DiagnosticsScope {
  /** Namespaces of HybridClusters (their CRs, workloads and pods are dumped). */
  namespaces: string[];
  /** The operator's namespace (its pods' logs are dumped). */
  operatorNamespace?: string;
}

const KINDS = 'hybridclusters,controlplanes,dataplanes,deployments,statefulsets,pods,services,endpointslices';
const MAX_YAML = 12_000;
const LOG_LINES = 40;

// A diagnostics step must never hide the original failure: each read reports its own error inline.
async function safe(what: string, read: () => Promise<string>): Promise<string> {
  try {
    return await read();
  } catch (err) {
    return `(could not read ${what}: ${err instanceof Error ? err.message : String(err)})`;
  }
}

/** Cuts a long text in the middle so both the start and the end stay readable. */
function excerpt(text: string, max: number): string {
  if (text.length <= max) return text;
  const half = Math.floor(max / 2);
  return `${text.slice(0, half)}\n... (${text.length - max} characters cut) ...\n${text.slice(-half)}`;
}

/**
 * A text dump for a failure message: `kubectl get <our kinds> -o yaml` excerpts and the log tails of
 * every pod in the scoped namespaces, and the operator's logs, so a red CI run can be read without
 * re-running it.
 */
export async function collectDiagnostics(cluster: E2ECluster, scope: DiagnosticsScope): Promise<string> {
  const parts: string[] = [];
  const namespaces = [...scope.namespaces, ...(scope.operatorNamespace ? [scope.operatorNamespace] : [])];
  for (const ns of namespaces) {
    const yaml = await safe(`objects in ${ns}`, () =>
      cluster.kubectl(['get', KINDS, '-n', ns, '-o', 'yaml'], { timeoutMs: 15_000 }),
    );
    parts.push(`--- kubectl get ${KINDS} -n ${ns} -o yaml\n${excerpt(yaml, MAX_YAML)}`);
    const names = await safe(`pods in ${ns}`, () =>
      cluster.kubectl(['get', 'pods', '-n', ns, '-o', 'jsonpath={.items[*].metadata.name}'], {
        timeoutMs: 15_000,
      }),
    );
    for (const pod of names.split(/\s+/).filter((n) => n && !n.startsWith('('))) {
      const tail = await safe(`log of ${ns}/${pod}`, () => cluster.podLogTail(ns, pod, LOG_LINES));
      parts.push(`--- log tail ${ns}/${pod}\n${tail}`);
    }
  }
  const events = await safe('events', () =>
    cluster.kubectl(['get', 'events', '-A', '--sort-by=.lastTimestamp'], { timeoutMs: 15_000 }),
  );
  parts.push(`--- kubectl get events -A\n${excerpt(events, 6_000)}`);
  return parts.join('\n');
}

/**
 * Runs `step`; when it throws, rethrows an error whose message is the original one followed by the
 * diagnostics of `scope`. Use it around every step whose failure needs the cluster's state to explain.
 */
export async function withDiagnostics<T>(
  cluster: E2ECluster,
  scope: DiagnosticsScope,
  step: () => Promise<T>,
): Promise<T> {
  try {
    return await step();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const dump = await collectDiagnostics(cluster, scope);
    const wrapped = new Error(`${message}\n\n===== cluster diagnostics =====\n${dump}`, { cause: err });
    throw wrapped;
  }
}
