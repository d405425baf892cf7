import type { Kube, KubeObject } from '../../../api/meta.js';
import type { ControlPlane, DataPlane } from '../../../api/v1alpha1/index.js';
import { LABELS } from '../../../shared/contract.js';
import type { KubeClient } from '../../kube/kube-client.js';
import type { Informer } from '../../manager/informer.js';
import type { Manager } from '../../manager/manager.js';
import { RESOURCES } from '../../kube/resources.js';
import type {
  ReconcileContext,
  ReconcileRequest,
  ReconcileResult,
  Reconciler,
} from '../../manager/reconcile.js';
import { createHash } from 'node:crypto';
import type { AdminEndpoint } from '../../admin-api/admin-request.js';
import {
  informerSecrets,
  resolveAdminEndpoint,
  type SecretSource,
} from '../../admin-api/resolve-admin-endpoint.js';
import type { EventRecorder } from '../../kube/events.js';
import { FleetMetrics } from '../../manager/metrics.js';
import type { FleetEventThresholds } from '../../status/fleet-events.js';
import { fleetAdminClient, type FleetAdminClient } from './admin-client.js';
import { DEFAULT_POLL_INTERVALS, FleetPoller, type PollIntervals } from './fleet-poller.js';

/** An Admin API client the reconciler can close when its endpoint changes or its CP goes. */
export type ClosableAdminClient = FleetAdminClient & { close(): Promise<void> };

/** What the fleet status reconciler needs. */
export interface FleetStatusReconcilerDeps {
  client: KubeClient;
  /** The operator's Secrets (an informer's cache): each CP's admin token and CA. */
  secrets: SecretSource;
  now?(): number;
  intervals?: PollIntervals;
  /** Test-only: honour the admin URL override annotation. */
  allowAdminUrlOverride?: boolean;
  adminClient?(endpoint: AdminEndpoint): ClosableAdminClient;
  events?: EventRecorder;
  metrics?: FleetMetrics;
  thresholds?: FleetEventThresholds;
}

// Two endpoints with the same fingerprint can share a transport; any change (URL, token, CA, name) cannot.
const fingerprintOf = (e: AdminEndpoint): string =>
  createHash('sha256')
    .update(JSON.stringify([e.url, e.token, e.ca, e.serverName]))
    .digest('hex');

/**
 * The fleet status as a manager controller keyed by ControlPlane (so it runs only on the leader and
 * stops with it): each reconcile is one poll, and the requeue delay is the poll interval (2 s while
 * converging, 30 s steady). DataPlane and Pod events map to the ControlPlane and poll it at once.
 */
export class FleetStatusReconciler implements Reconciler {
  private readonly d: FleetStatusReconcilerDeps;
  // Per ControlPlane: what its polls remember (last fingerprint, unreachable backoff).
  private readonly pollers = new Map<string, FleetPoller>();
  // Per ControlPlane: one client (one connection pool) for as long as its endpoint stays the same.
  private readonly clients = new Map<string, { fingerprint: string; client: ClosableAdminClient }>();
  // Run signals already hooked: when one aborts (manager stopped, leadership lost) the clients close.
  private readonly hooked = new WeakSet<AbortSignal>();

  constructor(deps: FleetStatusReconcilerDeps) {
    this.d = deps;
  }

  async reconcile(req: ReconcileRequest, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    if (!this.hooked.has(ctx.signal)) {
      this.hooked.add(ctx.signal);
      ctx.signal.addEventListener('abort', () => void this.close(), { once: true });
    }
    let poller = this.pollers.get(req.key);
    if (!poller) {
      poller = new FleetPoller({
        client: this.d.client,
        namespace: req.namespace,
        name: req.name,
        adminFor: (cp) => this.clientFor(req.key, cp),
        intervals: this.d.intervals ?? DEFAULT_POLL_INTERVALS,
        now: this.d.now ?? Date.now,
        log: ctx.log,
        events: this.d.events,
        metrics: this.d.metrics,
        thresholds: this.d.thresholds,
      });
      this.pollers.set(req.key, poller);
    }
    const result = await poller.tick();
    if (result.gone) {
      this.pollers.delete(req.key);
      await this.dropClient(req.key);
      return;
    }
    return { requeueAfterMs: poller.nextDelay(result) };
  }

  /** Closes every cached Admin API client (the manager stopped). */
  async close(): Promise<void> {
    await Promise.all([...this.clients.keys()].map((k) => this.dropClient(k)));
  }

  // The cached client of a ControlPlane, replaced (and the old one closed) when its endpoint changed.
  private async clientFor(key: string, cp: Kube<ControlPlane>): Promise<FleetAdminClient> {
    const endpoint = await resolveAdminEndpoint(cp, this.d.secrets, this.d.allowAdminUrlOverride ?? false);
    const fingerprint = fingerprintOf(endpoint);
    const cached = this.clients.get(key);
    if (cached?.fingerprint === fingerprint) return cached.client;
    if (cached) await this.dropClient(key);
    const client = (this.d.adminClient ?? ((e: AdminEndpoint) => fleetAdminClient(e)))(endpoint);
    this.clients.set(key, { fingerprint, client });
    return client;
  }

  private async dropClient(key: string): Promise<void> {
    const cached = this.clients.get(key);
    this.clients.delete(key);
    // A close that fails leaves nothing to do: the sockets are gone either way.
    await cached?.client.close().catch(() => undefined);
  }
}

/** Maps a DataPlane event to its ControlPlane's key. */
export function controlPlaneOfDataPlane(obj: KubeObject): string[] {
  const ref = (obj as Kube<DataPlane>).spec?.controlPlaneRef?.name;
  return ref ? [`${obj.metadata?.namespace}/${ref}`] : [];
}

/** Maps a data plane Pod event to its ControlPlane's key, through its DataPlane (the instance label). */
export function controlPlaneOfPod(dataPlanes: Informer<Kube<DataPlane>>) {
  return (pod: KubeObject): string[] => {
    const instance = pod.metadata?.labels?.[LABELS.instance];
    const dp = instance ? dataPlanes.get(`${pod.metadata?.namespace}/${instance}`) : undefined;
    return dp ? controlPlaneOfDataPlane(dp) : [];
  };
}

/** Options of the fleet status controller (OperatorOptions.fleetStatus). */
export interface FleetStatusOptions {
  /** Test-only: honour the admin URL override annotation. */
  allowAdminUrlOverride?: boolean;
  intervals?: PollIntervals;
  /** When nodes are worth a Warning Event (defaults: out of sync 5 min, certificate 14 days). */
  thresholds?: FleetEventThresholds;
}

/**
 * Adds the `fleet-status` controller: ControlPlanes, requeued by their DataPlanes and by data plane
 * Pods (a pod going away is removed from the status at once). Needs get/list/watch on pods.
 */
export function addFleetStatusController(
  manager: Manager,
  deps: {
    client: KubeClient;
    dataPlanes: Informer<Kube<DataPlane>>;
    /** The informer of the operator's Secrets (its label selector must cover the admin Secrets). */
    secrets: Informer;
    events?: EventRecorder;
    now?(): number;
  } & FleetStatusOptions,
): FleetStatusReconciler {
  const reconciler = new FleetStatusReconciler({
    ...deps,
    secrets: informerSecrets(deps.secrets),
    metrics: new FleetMetrics(manager.metrics.registry),
  });
  manager.addController({
    name: 'fleet-status',
    primary: RESOURCES.ControlPlane,
    watches: [
      { type: RESOURCES.DataPlane, map: controlPlaneOfDataPlane },
      {
        type: RESOURCES.Pod,
        labelSelector: `${LABELS.component}=data-plane`,
        map: controlPlaneOfPod(deps.dataPlanes),
      },
    ],
    reconciler,
  });
  return reconciler;
}
