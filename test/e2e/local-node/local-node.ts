import { appendFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeApi, WatchEvent } from './kube-api.js';
import { KubeletServer } from './kubelet-server.js';
import { LocalProvisioner } from './local-provisioner.js';
import { NodeHeartbeat } from './node-heartbeat.js';
import type { PodNetwork } from './pod-network.js';
import type { Pod } from './pod-types.js';
import { PodWorker, type NodeContext } from './pod-worker.js';
import { ServiceHosts } from './service-hosts.js';

/** How often every pod's volumes are re-read without a watch event (the kubelet's sync period is 1 min). */
const RESYNC_MS = 60_000;

/** What the local node runs against and with. */
export interface LocalNodeOptions {
  api: KubeApi;
  net: PodNetwork;
  nodeName: string;
  /** A directory of its own (removed by stop()). */
  runDir: string;
  /** bin/hybridgate.js of the built project (what the Hybridgate image's containers run). */
  cliPath: string;
  /** The apiserver as pods reach it. */
  apiHost: string;
  apiPort: number;
  /** Serving certificate of the node's log endpoint (`kubectl logs`); without it there is none. */
  kubeletCert?: { certFile: string; keyFile: string };
  /** Grace when stop() kills pods still running (seconds; the pods' own grace applies to deletions). */
  stopGraceSeconds?: number;
}

/**
 * The kubelet (and kube-proxy's naming half) of the test cluster: registers a Node, runs the pods
 * scheduled to it as local processes in their own network and mount namespaces, keeps their Secret
 * and ConfigMap volumes and hosts files current, provisions claims, and writes status back.
 */
export class LocalNode {
  private readonly workers = new Map<string, PodWorker>();
  private readonly abort = new AbortController();
  private readonly heartbeat: NodeHeartbeat;
  private readonly provisioner: LocalProvisioner;
  private readonly hosts: ServiceHosts;
  private readonly ctx: NodeContext;
  private hostsTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private readonly kubelet: KubeletServer | undefined;
  private kubeletPort = 0;
  private stopped: Promise<void> | undefined;
  /** The node's own log (lower-case messages, key=value), one line per event. */
  readonly logPath: string;

  constructor(private readonly opts: LocalNodeOptions) {
    this.logPath = join(opts.runDir, 'local-node.log');
    const log = (msg: string) => {
      try {
        appendFileSync(this.logPath, `${new Date().toISOString()} ${msg}\n`);
      } catch {
        // the run dir is gone (stopping): nothing left to log to
      }
    };
    this.log = log;
    this.kubelet = opts.kubeletCert
      ? new KubeletServer(join(opts.runDir, 'logs'), opts.kubeletCert)
      : undefined;
    this.heartbeat = new NodeHeartbeat(
      opts.api,
      opts.nodeName,
      opts.net.hostAddress,
      log,
      () => this.kubeletPort,
    );
    this.provisioner = new LocalProvisioner(opts.api, join(opts.runDir, 'volumes'), log);
    this.hosts = new ServiceHosts(
      opts.api,
      opts.apiHost,
      () => this.hostsChanged(),
      (err) => log(`service watch error error=${JSON.stringify((err as Error).message)}`),
    );
    this.ctx = {
      api: opts.api,
      net: opts.net,
      nodeName: opts.nodeName,
      runDir: opts.runDir,
      nodePath: process.execPath,
      cliPath: opts.cliPath,
      apiHost: opts.apiHost,
      apiPort: opts.apiPort,
      hosts: (ns, ip, hostname, subdomain) => this.hosts.render(ns, ip, hostname, subdomain),
      claimPath: (ns, claim) => this.provisioner.claimPath(ns, claim),
      log,
    };
  }

  /** Appends a line to the node's log. */
  readonly log: (msg: string) => void;

  /** Registers the node and starts every loop; resolves once pods can be run. */
  async start(): Promise<void> {
    await mkdir(join(this.opts.runDir, 'logs'), { recursive: true });
    if (this.kubelet) this.kubeletPort = await this.kubelet.start(this.opts.net.hostAddress);
    await this.heartbeat.start();
    await this.provisioner.start();
    await this.hosts.start(this.abort.signal);
    const signal = this.abort.signal;
    const onError = (err: unknown) => this.log(`watch error error=${JSON.stringify((err as Error).message)}`);
    void this.opts.api.listWatch<Pod>(
      `/api/v1/pods?fieldSelector=spec.nodeName%3D${encodeURIComponent(this.opts.nodeName)}`,
      {
        onList: (pods) => {
          const present = new Set(pods.map((p) => p.metadata.uid));
          for (const [uid, w] of this.workers) if (!present.has(uid)) void this.forget(uid, w, false);
          for (const p of pods) this.podEvent({ type: 'ADDED', object: p });
        },
        onEvent: (ev) => this.podEvent(ev),
      },
      signal,
      onError,
    );
    // The kubelet's periodic resync: renews service-account tokens at 80% of their life and catches a
    // missed watch event; writes only what changed.
    this.resyncTimer = setInterval(() => this.refreshAll(), RESYNC_MS);
    this.resyncTimer.unref();
    for (const kind of ['secrets', 'configmaps'] as const) {
      void this.opts.api.listWatch(
        `/api/v1/${kind}`,
        {
          onList: () => this.refreshAll(),
          onEvent: (ev) => {
            const m = ev.object.metadata;
            for (const w of this.workers.values())
              if (w.uses(m.namespace ?? '', kind === 'secrets' ? 'secret' : 'configMap', m.name))
                void w.refreshVolumes();
          },
        },
        signal,
        onError,
      );
    }
  }

  private podEvent(ev: WatchEvent<Pod>): void {
    const pod = ev.object;
    const uid = pod.metadata.uid;
    let worker = this.workers.get(uid);
    if (ev.type === 'DELETED') {
      if (worker) void this.forget(uid, worker, false);
      return;
    }
    if (worker) {
      worker.pod = pod;
    } else {
      if (
        pod.metadata.deletionTimestamp ||
        pod.status?.phase === 'Succeeded' ||
        pod.status?.phase === 'Failed'
      ) {
        // Not ours to run (any more): a deleted pod we never started just goes.
        if (pod.metadata.deletionTimestamp) void this.deleteNow(pod);
        return;
      }
      if (this.stopped) return;
      worker = new PodWorker(pod, this.ctx);
      this.workers.set(uid, worker);
      this.log(`pod added pod=${pod.metadata.namespace}/${pod.metadata.name}`);
      void worker.start();
      return;
    }
    if (pod.metadata.deletionTimestamp) {
      const grace = Number(
        pod.metadata['deletionGracePeriodSeconds'] ?? pod.spec.terminationGracePeriodSeconds ?? 30,
      );
      void this.forget(uid, worker, true, grace);
    }
  }

  private async forget(uid: string, worker: PodWorker, deleteObject: boolean, grace = 0): Promise<void> {
    // Never rejects: it runs detached from the watch loop, and a failed cleanup must not end the run.
    await worker.terminate(grace, deleteObject).catch((err: unknown) => {
      const m = worker.pod.metadata;
      this.log(
        `pod cleanup failed pod=${m.namespace}/${m.name} error=${JSON.stringify((err as Error).message)}`,
      );
    });
    if (this.workers.get(uid) === worker) this.workers.delete(uid);
  }

  private async deleteNow(pod: Pod): Promise<void> {
    const m = pod.metadata;
    await this.opts.api
      .call('DELETE', `/api/v1/namespaces/${m.namespace}/pods/${m.name}`, {
        gracePeriodSeconds: 0,
        preconditions: { uid: m.uid },
      })
      .catch(() => {});
  }

  private refreshAll(): void {
    for (const w of this.workers.values()) void w.refreshVolumes();
  }

  /** Coalesces bursts of Service/EndpointSlice events into one rewrite of the pods' hosts files. */
  private hostsChanged(): void {
    if (this.hostsTimer) return;
    this.hostsTimer = setTimeout(() => {
      this.hostsTimer = undefined;
      for (const w of this.workers.values()) void w.rewriteHosts().catch(() => {});
    }, 50);
  }

  /** The pod's log (every container and start, in start order), or '' if the node never ran it. */
  async podLog(namespace: string, pod: string): Promise<string> {
    const dir = join(this.opts.runDir, 'logs');
    const prefix = `${namespace}_${pod}_`;
    const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.startsWith(prefix));
    const texts = await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8').catch(() => '')));
    // Each file opens with the start marker and its timestamp: sorting by it orders the containers.
    return texts.sort((a, b) => (a.slice(0, 120) < b.slice(0, 120) ? -1 : 1)).join('');
  }

  /** The worker of a running pod, by namespace and name. */
  worker(namespace: string, pod: string): PodWorker | undefined {
    for (const w of this.workers.values())
      if (w.pod.metadata.namespace === namespace && w.pod.metadata.name === pod) return w;
    return undefined;
  }

  /** Stops every pod (SIGTERM, a short grace, SIGKILL), every loop and volume; safe to call twice. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.abort.abort();
      this.heartbeat.stop();
      if (this.hostsTimer) clearTimeout(this.hostsTimer);
      if (this.resyncTimer) clearInterval(this.resyncTimer);
      const grace = this.opts.stopGraceSeconds ?? 3;
      await Promise.all([...this.workers.values()].map((w) => w.terminate(grace, false)));
      this.workers.clear();
      await this.kubelet?.stop();
      await this.provisioner.stop().catch(() => {});
      await rm(this.opts.runDir, { recursive: true, force: true });
    })();
    return this.stopped;
  }
}
