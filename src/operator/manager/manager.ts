import type { Logger } from '../../shared/logger.js';
import type { KubeObject } from '../../api/meta.js';
import type { KubeClient } from '../kube/kube-client.js';
import { LeaseStore } from '../kube/lease-store.js';
import type { ResourceType } from '../kube/resources.js';
import { Controller, type ControllerOptions } from './controller.js';
import { HealthServer } from './health-server.js';
import { Informer, type InformerOptions } from './informer.js';
import { LeaderElector, type LeaderElectionOptions } from './leader-election.js';
import { ManagerMetrics } from './metrics.js';
import type { Clock } from './clock.js';

/** How a manager is set up. */
export interface ManagerOptions {
  client: KubeClient;
  logger: Logger;
  /** Watch one namespace; all when unset. */
  namespace?: string;
  /** Port of /metrics, /healthz, /readyz; 0 picks a free one; undefined: no server. */
  healthPort?: number;
  healthHost?: string;
  /** Leader election settings; without them every replica reconciles (single-replica installs, tests). */
  leaderElection?: {
    namespace: string;
    name: string;
    identity: string;
    leaseDurationMs?: number;
    renewDeadlineMs?: number;
    retryPeriodMs?: number;
    clock?: Clock;
  };
  /** Passed to every informer (resync period, watch timeouts, backoff). */
  informerDefaults?: Partial<Omit<InformerOptions, 'client' | 'type' | 'logger'>>;
}

/**
 * Wires informers (one shared cache per type), controllers, leader election and the health server.
 * Every replica keeps its caches warm; only the leader runs the controllers, and it stops them the
 * moment leadership ends.
 */
export class Manager {
  readonly metrics = new ManagerMetrics();
  private readonly opts: ManagerOptions;
  private readonly informers = new Map<string, Informer>();
  private readonly controllers: Controller[] = [];
  private readonly log: Logger;
  private health: HealthServer | undefined;
  private elector: LeaderElector | undefined;
  private election: Promise<void> | undefined;
  private stopping = new AbortController();
  private controllersRunning = false;
  private synced = false;
  /** Set when the lease was lost; main.ts exits the process (a restart campaigns afresh). */
  leadershipLost = false;
  /** Bound port of the health server once started. */
  healthPort: number | undefined;

  constructor(opts: ManagerOptions) {
    this.opts = opts;
    this.log = opts.logger;
  }

  /** The shared informer of a type (created on first use); one per type and label selector. */
  informer<T extends KubeObject = KubeObject>(type: ResourceType, labelSelector?: string): Informer<T> {
    const id = `${type.group}/${type.version}/${type.plural}?${labelSelector ?? ''}`;
    let inf = this.informers.get(id);
    if (!inf) {
      inf = new Informer({
        ...this.opts.informerDefaults,
        client: this.opts.client,
        type,
        namespace: this.opts.namespace,
        labelSelector,
        logger: this.log,
      });
      this.informers.set(id, inf);
    }
    return inf as unknown as Informer<T>;
  }

  /** Adds a controller; `primary` and `owns` name types whose shared informers it uses. */
  addController(
    opts: Omit<ControllerOptions, 'primary' | 'owns' | 'watches' | 'metrics' | 'logger'> & {
      primary: ResourceType;
      owns?: ResourceType[];
      watches?: { type: ResourceType; labelSelector?: string; map(obj: KubeObject): string[] }[];
    },
  ): Controller {
    const c = new Controller({
      ...opts,
      primary: this.informer(opts.primary),
      owns: (opts.owns ?? []).map((t) => this.informer(t)),
      watches: (opts.watches ?? []).map((w) => ({
        informer: this.informer(w.type, w.labelSelector),
        map: w.map,
      })),
      metrics: this.metrics,
      logger: this.log,
    });
    this.controllers.push(c);
    return c;
  }

  /** True while this replica runs the controllers. */
  get isLeader(): boolean {
    return this.controllersRunning;
  }

  /** True once every informer has synced (what /readyz reports). */
  get ready(): boolean {
    return this.synced;
  }

  /** Starts the health server and informers, waits for the caches, then campaigns (or runs) the controllers. */
  async start(): Promise<void> {
    if (this.opts.healthPort !== undefined) {
      this.health = new HealthServer({ registry: this.metrics.registry, ready: () => this.synced });
      this.healthPort = (await this.health.listen(this.opts.healthPort, this.opts.healthHost)).port;
    }
    for (const inf of this.informers.values()) inf.start();
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync()));
    this.synced = true;
    this.log.info({ informers: this.informers.size }, 'caches synced');
    const le = this.opts.leaderElection;
    if (!le) {
      this.startControllers();
      return;
    }
    const electionOpts: LeaderElectionOptions = {
      ...le,
      store: new LeaseStore(this.opts.client, le.namespace, le.name),
      logger: this.log,
      onStartedLeading: (signal) => {
        this.startControllers();
        signal.addEventListener('abort', () => void this.stopControllers(), { once: true });
      },
    };
    this.elector = new LeaderElector(electionOpts);
    this.election = this.elector.run(this.stopping.signal).then(async (reason) => {
      if (reason !== 'lost') return;
      this.leadershipLost = true;
      await this.stopControllers();
      this.log.error('leadership lost; this replica no longer reconciles and should restart');
    });
  }

  /**
   * Stops controllers, releases the lease (if leading), stops informers and the health server.
   * `release: false` simulates a crash (the lease is left to expire).
   */
  async stop(opts: { release?: boolean } = {}): Promise<void> {
    if (opts.release === false) this.elector?.abandon();
    this.stopping.abort();
    await this.election;
    await this.stopControllers();
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
    await this.health?.close();
  }

  private startControllers(): void {
    if (this.controllersRunning) return;
    this.controllersRunning = true;
    for (const c of this.controllers) c.start();
  }

  // A second caller (stop() after leadership ended) must wait for the first stop to finish, or the
  // client could be closed under reconciles still running.
  private stoppingControllers: Promise<void> = Promise.resolve();

  private stopControllers(): Promise<void> {
    if (this.controllersRunning) {
      this.controllersRunning = false;
      this.stoppingControllers = Promise.all(this.controllers.map((c) => c.stop())).then(() => undefined);
    }
    return this.stoppingControllers;
  }
}
