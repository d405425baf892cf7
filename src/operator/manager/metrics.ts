import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { WorkQueueMetrics } from './work-queue.js';

/** The controller-runtime metric families, registered in one registry per manager. */
export class ManagerMetrics {
  readonly registry: Registry;
  readonly reconcileTotal: Counter<'controller' | 'result'>;
  readonly reconcileErrors: Counter<'controller'>;
  readonly reconcileTime: Histogram<'controller'>;
  private readonly depth: Gauge<'name'>;
  private readonly adds: Counter<'name'>;
  private readonly retries: Counter<'name'>;

  constructor(registry = new Registry()) {
    this.registry = registry;
    this.reconcileTotal = new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'Total number of reconciliations per controller and result',
      labelNames: ['controller', 'result'],
      registers: [registry],
    });
    this.reconcileErrors = new Counter({
      name: 'controller_runtime_reconcile_errors_total',
      help: 'Total number of reconciliation errors per controller',
      labelNames: ['controller'],
      registers: [registry],
    });
    this.reconcileTime = new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller',
      labelNames: ['controller'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    });
    this.depth = new Gauge({
      name: 'workqueue_depth',
      help: 'Current depth of workqueue',
      labelNames: ['name'],
      registers: [registry],
    });
    this.adds = new Counter({
      name: 'workqueue_adds_total',
      help: 'Total number of adds handled by workqueue',
      labelNames: ['name'],
      registers: [registry],
    });
    this.retries = new Counter({
      name: 'workqueue_retries_total',
      help: 'Total number of retries handled by workqueue',
      labelNames: ['name'],
      registers: [registry],
    });
  }

  /** The queue metrics of one controller's queue. */
  forQueue(name: string): WorkQueueMetrics {
    return {
      depth: (n) => this.depth.set({ name }, n),
      added: () => this.adds.inc({ name }),
      retried: () => this.retries.inc({ name }),
    };
  }
}

/** What the fleet poller reports about one DataPlane for the gauges. */
export interface DataPlaneFleetSample {
  dataPlane: string;
  counts: { connected: number; synced: number; incompatible: number; total: number };
  /** Per node (pod name, else node id): seconds until its certificate expires (negative: expired). */
  certificateExpirySeconds: Map<string, number>;
}

/**
 * The fleet gauges, in the manager's registry (served on /metrics): nodes per DataPlane and state,
 * certificate expiry per node, and whether each ControlPlane's Admin API answered. Each ControlPlane's
 * observation replaces its previous one, so the series of DataPlanes and nodes that went away are
 * removed instead of lingering with their last value.
 */
export class FleetMetrics {
  private readonly nodes: Gauge<'namespace' | 'dataplane' | 'state'>;
  private readonly expiry: Gauge<'namespace' | 'dataplane' | 'node'>;
  private readonly reachable: Gauge<'namespace' | 'controlplane'>;
  // Per ControlPlane key: the label sets it set last time (to remove what is gone).
  private readonly last = new Map<string, { dataPlanes: string[]; nodes: [string, string][] }>();

  constructor(registry: Registry) {
    this.nodes = new Gauge({
      name: 'hybridgate_dataplane_nodes',
      help: 'Data plane nodes of a DataPlane as the control plane reports them, by state (connected, synced, incompatible, total)',
      labelNames: ['namespace', 'dataplane', 'state'],
      registers: [registry],
    });
    this.expiry = new Gauge({
      name: 'hybridgate_dataplane_certificate_expiry_seconds',
      help: "Seconds until a data plane node's cluster certificate expires, as the control plane reports it",
      labelNames: ['namespace', 'dataplane', 'node'],
      registers: [registry],
    });
    this.reachable = new Gauge({
      name: 'hybridgate_controlplane_reachable',
      help: "1 when the operator's last call to the control plane's Admin API succeeded, else 0",
      labelNames: ['namespace', 'controlplane'],
      registers: [registry],
    });
  }

  /** One poll of a ControlPlane: its reachability and its DataPlanes (all of them: the rest is removed). */
  observe(
    namespace: string,
    controlPlane: string,
    reachable: boolean,
    samples: DataPlaneFleetSample[],
  ): void {
    this.reachable.set({ namespace, controlplane: controlPlane }, reachable ? 1 : 0);
    const key = `${namespace}/${controlPlane}`;
    const prev = this.last.get(key) ?? { dataPlanes: [], nodes: [] };
    const next = { dataPlanes: [] as string[], nodes: [] as [string, string][] };
    for (const s of samples) {
      next.dataPlanes.push(s.dataPlane);
      for (const state of ['connected', 'synced', 'incompatible', 'total'] as const)
        this.nodes.set({ namespace, dataplane: s.dataPlane, state }, s.counts[state]);
      for (const [node, seconds] of s.certificateExpirySeconds) {
        next.nodes.push([s.dataPlane, node]);
        this.expiry.set({ namespace, dataplane: s.dataPlane, node }, seconds);
      }
    }
    for (const dp of prev.dataPlanes.filter((d) => !next.dataPlanes.includes(d)))
      for (const state of ['connected', 'synced', 'incompatible', 'total'])
        this.nodes.remove({ namespace, dataplane: dp, state });
    const kept = new Set(next.nodes.map(([d, n]) => `${d}\n${n}`));
    for (const [dp, node] of prev.nodes)
      if (!kept.has(`${dp}\n${node}`)) this.expiry.remove({ namespace, dataplane: dp, node });
    this.last.set(key, next);
  }

  /** A ControlPlane that is gone: every series it set is removed. */
  forget(namespace: string, controlPlane: string): void {
    this.observe(namespace, controlPlane, false, []);
    this.reachable.remove({ namespace, controlplane: controlPlane });
    this.last.delete(`${namespace}/${controlPlane}`);
  }
}
