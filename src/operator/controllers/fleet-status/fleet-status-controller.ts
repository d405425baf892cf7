import type { Kube } from '../../../api/meta.js';
import type { ControlPlane, DataPlane } from '../../../api/v1alpha1/index.js';
import { PORTS } from '../../../shared/contract.js';
import type { Logger } from '../../../shared/logger.js';
import type { KubeClient } from '../../kube/kube-client.js';
import type { Informer } from '../../manager/informer.js';
import { controlPlaneNames } from '../../resources/names.js';
import { fleetAdminClient, type FleetAdminClient } from './admin-client.js';
import { DEFAULT_POLL_INTERVALS, FleetPoller, type PollIntervals } from './fleet-poller.js';

/**
 * ControlPlane annotation giving the Admin API's URL instead of the Service's DNS name. Honoured only
 * when the operator runs with `allowAdminUrlOverride` (tests run the CP outside the cluster): otherwise
 * anyone who may edit a ControlPlane could make the operator call any URL.
 */
export const ADMIN_URL_OVERRIDE_ANNOTATION = 'hybridgate.dev/admin-url-override';

/** What the fleet status controller needs. */
export interface FleetStatusControllerDeps {
  client: KubeClient;
  controlPlanes: Informer<Kube<ControlPlane>>;
  dataPlanes: Informer<Kube<DataPlane>>;
  log: Logger;
  now?(): number;
  intervals?: PollIntervals;
  /** Test-only: honour ADMIN_URL_OVERRIDE_ANNOTATION. */
  allowAdminUrlOverride?: boolean;
  /** Replaces the fetch-based client (tests of the controller alone). */
  adminClient?(baseUrl: string): FleetAdminClient;
}

/** The Admin API URL of a ControlPlane: its `<cp>-admin` Service, or the override when allowed. */
export function adminUrlOf(cp: Kube<ControlPlane>, allowOverride: boolean): string {
  const override = cp.metadata.annotations?.[ADMIN_URL_OVERRIDE_ANNOTATION];
  if (allowOverride && override) return override;
  const ns = cp.metadata.namespace ?? 'default';
  return `http://${controlPlaneNames(cp.metadata.name ?? '').adminService}.${ns}.svc:${PORTS.admin}`;
}

/**
 * Runs one FleetPoller per ControlPlane the informer knows: started on add, poked when the
 * ControlPlane or one of its DataPlanes changes, stopped on delete.
 */
export class FleetStatusController {
  private readonly d: FleetStatusControllerDeps;
  private readonly pollers = new Map<string, FleetPoller>();
  private started = false;

  constructor(deps: FleetStatusControllerDeps) {
    this.d = deps;
    deps.controlPlanes.addHandler({
      onAdd: (cp) => this.ensure(cp),
      onUpdate: (_old, cp) => this.ensure(cp),
      onDelete: (cp) => void this.drop(keyOf(cp)),
    });
    const pokeRef = (dp: Kube<DataPlane>): void => {
      const ref = dp.spec.controlPlaneRef?.name;
      if (ref) this.pollers.get(`${dp.metadata.namespace}/${ref}`)?.poke();
    };
    deps.dataPlanes.addHandler({ onAdd: pokeRef, onUpdate: (_o, dp) => pokeRef(dp), onDelete: pokeRef });
  }

  /** Starts pollers for the ControlPlanes known now and those added later. */
  start(): void {
    this.started = true;
    for (const cp of this.d.controlPlanes.list()) this.ensure(cp);
  }

  /** Stops every poller. */
  async stop(): Promise<void> {
    this.started = false;
    await Promise.all([...this.pollers.keys()].map((k) => this.drop(k)));
  }

  /** The poller of `namespace/name` (tests wait for its ticks). */
  poller(key: string): FleetPoller | undefined {
    return this.pollers.get(key);
  }

  private ensure(cp: Kube<ControlPlane>): void {
    if (!this.started) return;
    const key = keyOf(cp);
    const existing = this.pollers.get(key);
    if (existing) {
      existing.poke();
      return;
    }
    const allow = this.d.allowAdminUrlOverride ?? false;
    const makeClient = this.d.adminClient ?? ((url: string) => fleetAdminClient(url));
    const poller = new FleetPoller({
      client: this.d.client,
      namespace: cp.metadata.namespace ?? 'default',
      name: cp.metadata.name ?? '',
      // The URL is resolved per poll: an annotation change applies without a restart.
      adminFor: (current) => makeClient(adminUrlOf(current, allow)),
      intervals: this.d.intervals ?? DEFAULT_POLL_INTERVALS,
      now: this.d.now ?? Date.now,
      log: this.d.log.child({ controller: 'fleet-status', controlplane: key }),
    });
    this.pollers.set(key, poller);
    poller.start();
  }

  private async drop(key: string): Promise<void> {
    const poller = this.pollers.get(key);
    this.pollers.delete(key);
    await poller?.stop();
  }
}

const keyOf = (o: Kube<ControlPlane>): string => `${o.metadata.namespace}/${o.metadata.name}`;
