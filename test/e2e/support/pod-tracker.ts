import { KubeConfig, Watch } from '@kubernetes/client-node';
import type { E2ECluster } from '../cluster/e2e-cluster.js';
import { getJson, podView, type PodView } from './kube.js';

/** What the tracker knows of one pod, including after it is gone. */
export interface TrackedPod extends PodView {
  /** Set once the pod object was deleted (epoch ms when the tracker learnt it). */
  goneAt?: number;
}

type RawPod = Parameters<typeof podView>[0];

/**
 * Follows the pods matching a selector with list + watch on the API server (not polling, so a pod
 * terminated faster than a poll interval is still seen terminating). The load loop asks it which pods
 * are ready now and whether a pod's deletion had been requested when a request to it failed.
 */
export class PodTracker {
  private readonly pods = new Map<string, TrackedPod>();
  private abort: AbortController | undefined;
  private stopped = false;
  private readonly kc = new KubeConfig();
  /** The last watch error (restarts are silent otherwise); for failure messages. */
  lastError: string | undefined;

  /** Tracks pods of `namespace` matching `selector` in `cluster`. */
  constructor(
    private readonly cluster: E2ECluster,
    private readonly namespace: string,
    private readonly selector: string,
  ) {
    this.kc.loadFromFile(cluster.kubeconfigPath);
  }

  /** Lists the pods, then watches from that list's resourceVersion; resolves after the list. */
  async start(): Promise<void> {
    await this.listAndWatch();
  }

  private record(obj: RawPod, deleted: boolean): void {
    const view = podView(obj);
    const prev = this.pods.get(view.name);
    // The first deletion request seen wins: later updates must not move it.
    if (prev?.deletionRequestedAt !== undefined) view.deletionRequestedAt = prev.deletionRequestedAt;
    if (deleted) {
      const now = Date.now();
      this.pods.set(view.name, {
        ...view,
        deletionRequestedAt: view.deletionRequestedAt ?? now,
        goneAt: now,
      });
    } else {
      this.pods.set(view.name, view);
    }
  }

  // A watch ends when the server times it out: list again (pods missing from the list are gone) and
  // watch from there, until stop().
  private async listAndWatch(): Promise<void> {
    const list = await getJson<{ items: RawPod[]; metadata: { resourceVersion: string } }>(this.cluster, [
      'get',
      'pods',
      '-n',
      this.namespace,
      '-l',
      this.selector,
    ]);
    const listed = new Set(list.items.map((p) => p.metadata.name));
    for (const p of this.pods.values()) {
      if (!listed.has(p.name) && p.goneAt === undefined) {
        p.goneAt = Date.now();
        p.deletionRequestedAt ??= p.goneAt;
      }
    }
    for (const p of list.items) this.record(p, false);
    if (this.stopped) return;
    const restart = (err: unknown): void => {
      if (err) this.lastError = err instanceof Error ? err.message : String(err);
      if (!this.stopped) void this.listAndWatch().catch((e: unknown) => restart(e));
    };
    this.abort = await new Watch(this.kc).watch(
      `/api/v1/namespaces/${this.namespace}/pods`,
      { labelSelector: this.selector, resourceVersion: list.metadata.resourceVersion },
      (phase, obj) => {
        if (phase === 'ADDED' || phase === 'MODIFIED') this.record(obj as RawPod, false);
        else if (phase === 'DELETED') this.record(obj as RawPod, true);
      },
      restart,
    );
    if (this.stopped) this.abort.abort();
  }

  /** Pods that are Ready, have an IP and are not being deleted, sorted by name. */
  ready(): TrackedPod[] {
    return [...this.pods.values()]
      .filter((p) => p.ready && p.ip && p.deletionRequestedAt === undefined && p.goneAt === undefined)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Everything known about `name` (also after it is gone). */
  get(name: string): TrackedPod | undefined {
    return this.pods.get(name);
  }

  /** Names of pods that exist now (deleted ones excluded). */
  existing(): string[] {
    return [...this.pods.values()]
      .filter((p) => p.goneAt === undefined)
      .map((p) => p.name)
      .sort();
  }

  /** Stops the watch. */
  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }
}
