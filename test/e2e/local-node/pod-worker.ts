import { mkdir, open, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ContainerRunner } from './container-runner.js';
import { KubeApiError, type KubeApi } from './kube-api.js';
import { containerEnv } from './pod-env.js';
import type { PodNetwork, PodInterface } from './pod-network.js';
import { podStatus } from './pod-status.js';
import type { Pod } from './pod-types.js';
import { forgetPodTokens, materialiseVolumes, type MaterialisedVolume } from './pod-volumes.js';
import { checkImage, cliArgs, ContainerSpecError, renderWrapper } from './pod-wrapper.js';

/** What every pod worker shares: the node's API client, network, paths and service names. */
export interface NodeContext {
  api: KubeApi;
  net: PodNetwork;
  nodeName: string;
  /** Directory of the run; each pod gets pods/<ns>_<name>_<uid>/. */
  runDir: string;
  /** node, and the Hybridgate CLI (bin/hybridgate.js) containers run. */
  nodePath: string;
  cliPath: string;
  apiHost: string;
  apiPort: number;
  /** The pod's hosts file text (service names), for its namespace, IP and host name. */
  hosts(namespace: string, podIP: string, hostname: string, subdomain?: string): string;
  claimPath(namespace: string, claim: string): Promise<string>;
  log(msg: string): void;
}

/**
 * The kubelet's work for one pod: network namespace, volumes, hosts file, one ContainerRunner per
 * container (init containers first, in order), status written through pods/status when it changes,
 * and on deletion SIGTERM → grace → SIGKILL, then the pod object deleted and everything removed.
 */
export class PodWorker {
  pod: Pod;
  readonly dir: string;
  /** Directory of the container logs (`<ns>_<pod>_<container>.log`), kept until the node stops. */
  readonly logDir: string;
  private iface: PodInterface | undefined;
  private volumes: MaterialisedVolume[] | undefined;
  private readonly runners: ContainerRunner[] = [];
  private readonly initRunners: ContainerRunner[] = [];
  private readonly hostDirs = new Set<string>();
  private readonly startTime = new Date().toISOString();
  private readonly transitions = new Map<string, { status: string; at: string }>();
  private lastWritten = '';
  private writing: Promise<void> | undefined;
  private dirty = false;
  private terminating: Promise<void> | undefined;
  private setupError: string | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private fireStop!: () => void;
  private readonly stopSignal = new Promise<void>((r) => (this.fireStop = r));

  constructor(
    pod: Pod,
    private readonly node: NodeContext,
  ) {
    this.pod = pod;
    const m = pod.metadata;
    this.dir = join(node.runDir, 'pods', `${m.namespace}_${m.name}_${m.uid}`);
    // Outside the pod's directory: logs outlive the pod (failure messages), until the node stops.
    this.logDir = join(node.runDir, 'logs');
  }

  /** The pod's network identity (after start). */
  get podIP(): string {
    return this.iface?.ip ?? '';
  }

  /** Sets the pod up and starts its containers; never throws (failures become pod status). */
  async start(): Promise<void> {
    const { metadata: m, spec } = this.pod;
    try {
      await mkdir(join(this.dir, 'work'), { recursive: true });
      await mkdir(this.logDir, { recursive: true });
      this.iface = await this.node.net.addPod(`${m.namespace}/${m.name}/${m.uid}`);
      await this.rewriteHosts();
      // Names not in the hosts file must fail at once, not after the host resolver's timeouts: the
      // host's nameserver is unreachable from the bridge, a refused loopback port answers at once.
      const ns = m.namespace;
      await writeFile(
        join(this.dir, 'resolv.conf'),
        `search ${ns}.svc.cluster.local svc.cluster.local cluster.local\nnameserver 127.0.0.1\noptions ndots:5 timeout:1 attempts:1\n`,
      );
    } catch (err) {
      this.setupError = (err as Error).message;
      this.node.log(`pod setup failed pod=${m.namespace}/${m.name} error=${JSON.stringify(this.setupError)}`);
      this.scheduleStatus();
      return;
    }
    const make = (c: Pod['spec']['containers'][number], init: boolean) =>
      new ContainerRunner({
        container: c,
        podIP: this.podIP,
        restartPolicy: spec.restartPolicy ?? 'Always',
        logPath: join(this.logDir, containerLogName(m.namespace, m.name, c.name)),
        graceMs: (spec.terminationGracePeriodSeconds ?? 30) * 1000,
        init,
        prepare: () => this.prepare(c),
        onStatus: () => this.scheduleStatus(),
        log: (msg) => this.node.log(`${msg} pod=${m.namespace}/${m.name}`),
      });
    for (const c of spec.initContainers ?? []) this.initRunners.push(make(c, true));
    for (const c of spec.containers) this.runners.push(make(c, false));
    this.scheduleStatus();
    for (const r of this.initRunners) {
      if (this.terminating) return;
      r.start();
      await Promise.race([r.succeeded, this.stopSignal]);
    }
    if (this.terminating) return;
    for (const r of this.runners) r.start();
  }

  /** Everything a start of container `c` needs: the image check, volumes, env and the wrapper script. */
  private async prepare(c: Pod['spec']['containers'][number]) {
    checkImage(c.image);
    const argv = [this.node.nodePath, this.node.cliPath, ...cliArgs(c)];
    this.volumes = await materialiseVolumes({
      api: this.node.api,
      pod: this.pod,
      podDir: this.dir,
      claimPath: (ns, claim) => this.node.claimPath(ns, claim),
    });
    const env = await containerEnv(
      {
        api: this.node.api,
        pod: this.pod,
        podIP: this.podIP,
        hostIP: this.node.net.hostAddress,
        apiHost: this.node.apiHost,
        apiPort: this.node.apiPort,
      },
      c,
    );
    const workDir = join(this.dir, 'work');
    const wrapper = renderWrapper({
      resolvFile: join(this.dir, 'resolv.conf'),
      container: c,
      volumes: this.volumes,
      hostsFile: join(this.dir, 'hosts'),
      podDir: this.dir,
      workDir,
      argv,
      hostname: (this.pod.spec.hostname ?? this.pod.metadata.name).slice(0, 63),
    });
    for (const d of wrapper.hostDirs) this.hostDirs.add(d);
    const script = join(this.dir, `${c.name}.sh`);
    await writeFile(script, wrapper.script, { mode: 0o700 });
    return {
      command: 'ip',
      args: [
        'netns',
        'exec',
        this.iface!.netns,
        'unshare',
        '--mount',
        // its own host name (the pod's), as in a cluster: leader election and DP reports use it
        '--uts',
        '--propagation',
        'private',
        '/bin/sh',
        script,
      ],
      env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: workDir, ...env },
    };
  }

  /** Re-reads the pod's Secret/ConfigMap/projected volumes (after a change); atomic swaps in place. */
  async refreshVolumes(): Promise<void> {
    if (!this.volumes || this.terminating) return;
    try {
      await materialiseVolumes({
        api: this.node.api,
        pod: this.pod,
        podDir: this.dir,
        claimPath: (ns, c) => this.node.claimPath(ns, c),
      });
    } catch (err) {
      this.node.log(
        `volume refresh failed pod=${this.pod.metadata.namespace}/${this.pod.metadata.name} error=${JSON.stringify((err as Error).message)}`,
      );
    }
  }

  /** Whether a change of Secret/ConfigMap `kind/name` in the pod's namespace concerns this pod. */
  uses(namespace: string, kind: 'secret' | 'configMap', name: string): boolean {
    if (namespace !== this.pod.metadata.namespace) return false;
    for (const v of this.pod.spec.volumes ?? []) {
      if (kind === 'secret' && v.secret?.secretName === name) return true;
      if (kind === 'configMap' && v.configMap?.name === name) return true;
      for (const s of v.projected?.sources ?? []) {
        if (kind === 'secret' && s.secret?.name === name) return true;
        if (kind === 'configMap' && s.configMap?.name === name) return true;
      }
    }
    return false;
  }

  /** Rewrites the hosts file in place (the bind mount pins its inode, so no rename). */
  async rewriteHosts(): Promise<void> {
    if (!this.iface) return;
    const { metadata: m, spec } = this.pod;
    const text = this.node.hosts(m.namespace, this.iface.ip, spec.hostname ?? m.name, spec.subdomain);
    const fh = await open(join(this.dir, 'hosts'), 'a+');
    try {
      const current = (await fh.readFile()).toString('utf8');
      if (current === text) return;
      await fh.truncate(0);
      await fh.write(text, 0, 'utf8');
    } finally {
      await fh.close();
    }
  }

  /** Records the status to write and writes it (one write in flight; skipped when nothing changed). */
  scheduleStatus(): void {
    this.dirty = true;
    if (this.writing) return;
    this.writing = (async () => {
      while (this.dirty && !this.terminating) {
        this.dirty = false;
        await this.writeStatus().catch((err) => {
          if (err instanceof KubeApiError && err.status === 404) return;
          // Retried: a status that never lands would leave the pod Pending for good.
          if (!this.retryTimer)
            this.retryTimer = setTimeout(() => {
              this.retryTimer = undefined;
              this.scheduleStatus();
            }, 1000);
          this.node.log(
            `pod status write failed pod=${this.pod.metadata.name} error=${JSON.stringify((err as Error).message)}`,
          );
        });
      }
      this.writing = undefined;
    })();
  }

  private async writeStatus(): Promise<void> {
    const status = podStatus({
      pod: this.pod,
      podIP: this.podIP,
      hostIP: this.node.net.hostAddress,
      startTime: this.startTime,
      runners: this.runners,
      initRunners: this.initRunners,
      setupError: this.setupError,
      transitions: this.transitions,
      specError: (c) => {
        try {
          checkImage(c.image);
          cliArgs(c);
          return undefined;
        } catch (err) {
          return err instanceof ContainerSpecError ? err : undefined;
        }
      },
    });
    const text = JSON.stringify(status);
    if (text === this.lastWritten) return;
    const m = this.pod.metadata;
    await this.node.api.mergePatch(`/api/v1/namespaces/${m.namespace}/pods/${m.name}/status`, { status });
    this.lastWritten = text;
  }

  /**
   * Stops the containers (SIGTERM, `graceSeconds`, SIGKILL), deletes the pod object with grace 0
   * (unless `deleteObject` is false: it is gone already) and removes the pod's namespace and files.
   */
  terminate(graceSeconds: number, deleteObject = true): Promise<void> {
    this.terminating ??= (async () => {
      this.fireStop();
      if (this.retryTimer) clearTimeout(this.retryTimer);
      const m = this.pod.metadata;
      this.node.log(`killing pod pod=${m.namespace}/${m.name} grace=${graceSeconds}s`);
      await Promise.all([...this.initRunners, ...this.runners].map((r) => r.stop(graceSeconds * 1000)));
      await this.writing;
      if (deleteObject) {
        await this.node.api
          .call('DELETE', `/api/v1/namespaces/${m.namespace}/pods/${m.name}`, {
            kind: 'DeleteOptions',
            apiVersion: 'v1',
            gracePeriodSeconds: 0,
            preconditions: { uid: m.uid },
          })
          .catch((err) => {
            if (!(err instanceof KubeApiError && (err.status === 404 || err.status === 409)))
              this.node.log(
                `pod delete failed pod=${m.namespace}/${m.name} error=${JSON.stringify((err as Error).message)}`,
              );
          });
      }
      await this.cleanup();
    })();
    return this.terminating;
  }

  private async cleanup(): Promise<void> {
    const m = this.pod.metadata;
    await this.node.net.removePod(`${m.namespace}/${m.name}/${m.uid}`);
    forgetPodTokens(m.uid);
    // Mountpoints made on the host (only for paths right under /): removed when empty, never their content.
    for (const d of this.hostDirs) await removeEmptyTree(d);
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** The file name of a container's log (names cannot contain '_', so it parses back). */
export function containerLogName(namespace: string, pod: string, container: string): string {
  return `${namespace}_${pod}_${container}.log`;
}

async function removeEmptyTree(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => undefined);
  if (!entries) return;
  for (const e of entries) if (e.isDirectory()) await removeEmptyTree(join(dir, e.name));
  await rmdir(dir).catch(() => {});
}
