import { Agent, request } from 'undici';
import { PORTS } from '../../../src/shared/contract.js';
import type { E2ECluster } from '../cluster/e2e-cluster.js';
import { UPSTREAM_HEADER } from './upstream-server.js';

/** What the loop needs to know of the pods (PodTracker in the scenarios). */
export interface PodSource {
  /** Pods ready to take requests now. */
  ready(): { name: string }[];
  /** When `name`'s deletion was requested, if it was. */
  get(name: string): { deletionRequestedAt?: number } | undefined;
}

/** One failed request: when, to which pod, and why. */
export interface LoadFailure {
  at: number;
  pod: string;
  reason: string;
  /** True when the pod's deletion had been requested before the failure (its own termination). */
  excused: boolean;
}

/** What a load loop saw. */
export interface LoadResult {
  sent: number;
  ok: number;
  okByPod: Record<string, number>;
  failures: LoadFailure[];
  /** Failures not explained by the target pod's own termination: the scenarios require none. */
  unexcused: LoadFailure[];
}

/** How a load loop picks its targets and what counts as success. */
export interface LoadLoopOptions {
  cluster: E2ECluster;
  namespace: string;
  /** The DP pods, as the API server sees them. */
  tracker: PodSource;
  /** Only these pods get requests (pods the scenario keeps); unset: every ready pod, round robin. */
  pinned?: string[];
  /** Request path (a route of the test's service). */
  path: string;
  /** The upstream's id: a 200 without this UPSTREAM_HEADER value is a failure. */
  upstreamId: string;
  /** Pause between requests (default 20 ms). */
  intervalMs?: number;
  /** Per-request deadline (default 3 s): a hang is a failure. */
  requestTimeoutMs?: number;
}

/** A running load loop; stop() ends it and returns what it saw. */
export interface LoadLoop {
  /** Requests answered so far (to wait until traffic flows before disrupting it). */
  okCount(): number;
  /** Failed requests so far. */
  failedCount(): number;
  stop(): Promise<LoadResult>;
}

/** A short, stable text for a failure's cause (an undici error code, or the status and what was missing). */
function reasonOf(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string } };
  return [e.code ?? e.cause?.code, e.message].filter(Boolean).join(': ') || String(err);
}

/**
 * Sends a request through a data plane's proxy port every `intervalMs`, one at a time, to the next
 * target pod in turn (a pinned set, or every ready pod as the tracker sees it: what a Service's
 * endpoints would be). A response counts only if it is a 200 carrying the upstream's id. A failure is
 * "excused" only when the target pod's deletion was requested before it (the tracker watches pods, and
 * deletionTimestamp has one-second resolution): the loop never excuses a failure on a pod that stays.
 */
export function startLoadLoop(opts: LoadLoopOptions): LoadLoop {
  const interval = opts.intervalMs ?? 20;
  const timeout = opts.requestTimeoutMs ?? 3_000;
  const agent = new Agent({ connect: { timeout }, headersTimeout: timeout, bodyTimeout: timeout });
  const reach = new Map<string, Promise<{ host: string; port: number; close(): Promise<void> }>>();
  const result: LoadResult = { sent: 0, ok: 0, okByPod: {}, failures: [], unexcused: [] };
  let running = true;
  let turn = 0;

  const reachOf = (pod: string) => {
    let r = reach.get(pod);
    if (!r) {
      r = opts.cluster.reachPod(opts.namespace, pod, PORTS.proxy);
      // A failed port-forward is retried on the next turn rather than cached.
      r.catch(() => reach.delete(pod));
      reach.set(pod, r);
    }
    return r;
  };

  const fail = (pod: string, reason: string): void => {
    const at = Date.now();
    const requested = opts.tracker.get(pod)?.deletionRequestedAt;
    const failure: LoadFailure = { at, pod, reason, excused: requested !== undefined && requested <= at };
    result.failures.push(failure);
    if (!failure.excused) result.unexcused.push(failure);
  };

  const once = async (): Promise<void> => {
    const candidates = opts.pinned ?? opts.tracker.ready().map((p) => p.name);
    if (candidates.length === 0) return;
    const pod = candidates[turn++ % candidates.length]!;
    result.sent++;
    try {
      const { host, port } = await reachOf(pod);
      const res = await request(`http://${host}:${port}${opts.path}`, {
        dispatcher: agent,
        signal: AbortSignal.timeout(timeout),
      });
      await res.body.dump();
      const id = res.headers[UPSTREAM_HEADER];
      if (res.statusCode !== 200) fail(pod, `status ${res.statusCode}`);
      else if (id !== opts.upstreamId) fail(pod, `200 without ${UPSTREAM_HEADER}=${opts.upstreamId}`);
      else {
        result.ok++;
        result.okByPod[pod] = (result.okByPod[pod] ?? 0) + 1;
      }
    } catch (err) {
      fail(pod, reasonOf(err));
    }
  };

  const loop = (async () => {
    while (running) {
      await once();
      // The pause is the loop's rate, not a synchronisation: nothing waits on it.
      if (running) await new Promise((r) => setTimeout(r, interval));
    }
  })();

  return {
    okCount: () => result.ok,
    failedCount: () => result.failures.length,
    async stop() {
      running = false;
      await loop;
      await agent.close().catch(() => undefined);
      const forwards = await Promise.allSettled(reach.values());
      await Promise.allSettled(forwards.flatMap((f) => (f.status === 'fulfilled' ? [f.value.close()] : [])));
      return result;
    },
  };
}

/** A failure message listing the first unexcused failures and the loop's counts. */
export function describeLoad(name: string, r: LoadResult): string {
  const list = r.unexcused
    .slice(0, 20)
    .map((f) => `  ${new Date(f.at).toISOString()} ${f.pod}: ${f.reason}`)
    .join('\n');
  return (
    `${name}: ${r.sent} requests, ${r.ok} ok, ${r.failures.length} failed ` +
    `(${r.failures.length - r.unexcused.length} on pods being deleted, ${r.unexcused.length} not)\n` +
    `ok by pod: ${JSON.stringify(r.okByPod)}\n${list}`
  );
}
