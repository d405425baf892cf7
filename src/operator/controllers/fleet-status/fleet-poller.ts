import type { Kube, KubeObject } from '../../../api/meta.js';
import type { ControlPlane, DataPlane } from '../../../api/v1alpha1/index.js';
import { LABELS } from '../../../shared/contract.js';
import { errorMessage } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/logger.js';
import { ignoreNotFound, isNotFound } from '../../errors.js';
import { parseDuration } from '../../certificates/duration.js';
import type { EventRecorder } from '../../kube/events.js';
import type { KubeClient } from '../../kube/kube-client.js';
import type { DataPlaneFleetSample, FleetMetrics } from '../../manager/metrics.js';
import {
  DEFAULT_FLEET_EVENT_THRESHOLDS,
  fleetEvents,
  type FleetEventThresholds,
  type NodeMemory,
} from '../../status/fleet-events.js';
import { resourcePath, RESOURCES } from '../../kube/resources.js';
import { writeStatus } from '../../kube/status.js';
import {
  controlPlaneFleetStatus,
  dataPlaneFleetStatus,
  INCOMPATIBLE_STATUSES,
  type ControlPlaneView,
  type DataPlaneRow,
  type FleetDataPlaneStatus,
} from '../../status/fleet-status.js';
import type { FleetAdminClient } from './admin-client.js';

/** The field manager of the fleet part of the statuses (the reconcilers own the rest). */
export const FLEET_FIELD_MANAGER = 'hybridgate-operator-fleet';

/** How often to poll: `fastMs` while something is changing or not synced, `slowMs` when steady. */
export interface PollIntervals {
  fastMs: number;
  slowMs: number;
}

/** Production intervals (2 s while converging, 30 s steady). */
export const DEFAULT_POLL_INTERVALS: PollIntervals = { fastMs: 2000, slowMs: 30_000 };

/**
 * What one poller needs; `adminFor` turns the ControlPlane into its Admin API client (it may fail
 * while the operator has not written the token or CA yet: the CP then counts as unreachable).
 */
export interface FleetPollerDeps {
  client: KubeClient;
  namespace: string;
  name: string;
  adminFor(cp: Kube<ControlPlane>): Promise<FleetAdminClient>;
  intervals: PollIntervals;
  now(): number;
  log: Logger;
  /** Where the Events on DataPlanes go; unset: none. */
  events?: EventRecorder;
  /** The fleet gauges; unset: none. */
  metrics?: FleetMetrics;
  thresholds?: FleetEventThresholds;
}

/** What one poll did (tests and the adaptive interval read it). */
export interface TickResult {
  /** The ControlPlane no longer exists: the poller has nothing to do. */
  gone: boolean;
  reachable: boolean;
  /** Status writes made (DataPlanes and the ControlPlane). */
  writes: number;
  /** Rows the CP was told to forget. */
  forgotten: string[];
  /** Whether the fleet is still converging (so the next poll comes soon). */
  busy: boolean;
}

type List<T> = { items: T[] };

/**
 * Polls one ControlPlane's Admin API and writes the fleet status of the DataPlanes that reference it
 * (and the ControlPlane's configHash), one tick() per reconcile; it remembers what makes the next interval.
 */
export class FleetPoller {
  private readonly d: FleetPollerDeps;
  private fingerprint = '';
  private unreachableDelay = 0;
  // Per DataPlane name: what the Events decided about its nodes so far (once per episode).
  private memory = new Map<string, Map<string, NodeMemory>>();

  constructor(deps: FleetPollerDeps) {
    this.d = deps;
  }

  /** The wait before the next poll after `r`: fast while busy, slow when steady, backing off while unreachable. */
  nextDelay(r: TickResult): number {
    const { fastMs, slowMs } = this.d.intervals;
    if (!r.reachable) {
      this.unreachableDelay = Math.min(slowMs, this.unreachableDelay ? this.unreachableDelay * 2 : fastMs);
      return this.unreachableDelay;
    }
    this.unreachableDelay = 0;
    return r.busy ? fastMs : slowMs;
  }

  /** One poll: read the ControlPlane, its DataPlanes and their pods, ask the CP, write what changed. */
  async tick(): Promise<TickResult> {
    const { client, namespace, name } = this.d;
    const cp = await client
      .request<Kube<ControlPlane>>({
        method: 'GET',
        path: resourcePath(RESOURCES.ControlPlane, { namespace, name }),
      })
      .catch(ignoreNotFound);
    if (!cp || cp.metadata.deletionTimestamp) {
      this.d.metrics?.forget(namespace, name);
      return { gone: true, reachable: false, writes: 0, forgotten: [], busy: false };
    }
    const [dataPlanes, pods] = await Promise.all([
      client.request<List<Kube<DataPlane>>>({
        method: 'GET',
        path: resourcePath(RESOURCES.DataPlane, { namespace }),
      }),
      client.request<List<KubeObject>>({
        method: 'GET',
        path: resourcePath(RESOURCES.Pod, { namespace }),
        query: { labelSelector: `${LABELS.component}=data-plane` },
      }),
    ]);
    const mine = dataPlanes.items.filter(
      (dp) => dp.spec.controlPlaneRef?.name === name && !dp.metadata.deletionTimestamp,
    );
    const view = await this.ask(cp);
    const now = this.d.now();
    let writes = 0;
    let busy = false;
    const forget = new Set<string>();
    const observed: { dp: Kube<DataPlane>; status: FleetDataPlaneStatus }[] = [];
    for (const dp of mine) {
      const podNames = new Set(
        pods.items
          .filter((p) => p.metadata?.labels?.[LABELS.instance] === dp.metadata.name)
          .map((p) => p.metadata!.name!),
      );
      const { status, forget: gone } = dataPlaneFleetStatus({
        dataPlane: dp.metadata.name ?? '',
        pods: podNames,
        cp: view,
        previous: dp.status as Record<string, unknown> | undefined,
        generation: dp.metadata.generation,
        now,
      });
      gone.forEach((id) => forget.add(id));
      observed.push({ dp, status });
      // Nodes the CP will push to but that are not on its hash yet are converging: poll them soon.
      // Incompatible ones never converge by themselves and must not keep the fast interval.
      if (
        status.nodes.some(
          (n) =>
            n.connected && !INCOMPATIBLE_STATUSES.has(n.syncStatus) && n.configHash !== status.configHash,
        )
      )
        busy = true;
      const res = await writeStatus(client, dp, status, {
        partial: true,
        fieldManager: FLEET_FIELD_MANAGER,
      }).catch(ignoreNotFound);
      if (res?.outcome === 'updated') writes++;
    }
    const cpStatus = controlPlaneFleetStatus(view, cp.status as Record<string, unknown> | undefined);
    if (Object.keys(cpStatus).length > 0) {
      const res = await writeStatus(client, cp, cpStatus, {
        partial: true,
        fieldManager: FLEET_FIELD_MANAGER,
      }).catch(ignoreNotFound);
      if (res?.outcome === 'updated') writes++;
    }
    this.d.metrics?.observe(
      namespace,
      name,
      view.reachable,
      observed.map((o) => sample(o.dp, o.status, now)),
    );
    await this.raiseEvents(cp, observed, view, now);
    const forgotten: string[] = [];
    if (view.reachable && forget.size > 0) {
      const admin = await this.d.adminFor(cp);
      for (const id of forget) {
        try {
          await admin.forget(id);
          forgotten.push(id);
          this.d.log.info({ node_id: id }, 'data plane row forgotten: its pod is gone');
        } catch (err) {
          this.d.log.warn({ node_id: id, err: errorMessage(err) }, 'cannot forget data plane row');
        }
      }
    }
    const fingerprint = view.reachable ? fingerprintOf(view.rows, view.configHash) : '';
    if (fingerprint !== this.fingerprint || writes > 0 || forgotten.length > 0) busy = true;
    this.fingerprint = fingerprint;
    return { gone: false, reachable: view.reachable, writes, forgotten, busy };
  }

  // Events of this poll on each DataPlane; memory of DataPlanes no longer listed is dropped.
  private async raiseEvents(
    cp: Kube<ControlPlane>,
    observed: { dp: Kube<DataPlane>; status: FleetDataPlaneStatus }[],
    view: ControlPlaneView,
    now: number,
  ): Promise<void> {
    const thresholds = cappedThresholds(this.d.thresholds ?? DEFAULT_FLEET_EVENT_THRESHOLDS, cp);
    const next = new Map<string, Map<string, NodeMemory>>();
    for (const { dp, status } of observed) {
      const dpName = dp.metadata.name ?? '';
      const r = fleetEvents(this.memory.get(dpName) ?? new Map(), {
        nodes: status.nodes,
        cpHash: view.reachable ? view.configHash : undefined,
        now,
        thresholds,
      });
      next.set(dpName, r.memory);
      for (const ev of r.events) {
        this.d.log.info({ dataplane: dpName, reason: ev.reason }, 'fleet event');
        await this.d.events?.record(dp as unknown as KubeObject, ev);
      }
    }
    this.memory = next;
  }

  private async ask(cp: Kube<ControlPlane>): Promise<ControlPlaneView> {
    try {
      const admin = await this.d.adminFor(cp);
      const [configHash, rows] = await Promise.all([admin.configHash(), admin.dataPlanes()]);
      return { reachable: true, configHash, rows };
    } catch (err) {
      if (isNotFound(err)) throw err;
      this.d.log.info({ err: errorMessage(err) }, 'control plane admin api unreachable');
      return { reachable: false, error: errorMessage(err) };
    }
  }
}

// The gauges' view of one DataPlane: its counts and each node's seconds to certificate expiry.
function sample(dp: Kube<DataPlane>, status: FleetDataPlaneStatus, now: number): DataPlaneFleetSample {
  const expiry = new Map<string, number>();
  for (const n of status.nodes) {
    const at = n.certificateExpiry ? Date.parse(n.certificateExpiry) : NaN;
    if (Number.isFinite(at)) expiry.set(n.podName ?? n.nodeId, Math.round((at - now) / 1000));
  }
  return { dataPlane: dp.metadata.name ?? '', counts: status.counts, certificateExpirySeconds: expiry };
}

// Certificates are renewed renewBefore ahead of expiry: warning earlier than that would flag every
// certificate merely due for its regular renewal, so the expiry threshold is capped there.
function cappedThresholds(t: FleetEventThresholds, cp: Kube<ControlPlane>): FleetEventThresholds {
  try {
    const renewBefore = parseDuration(cp.spec.certificates.renewBefore, 'spec.certificates.renewBefore');
    return { ...t, certificateExpiryWarningMs: Math.min(t.certificateExpiryWarningMs, renewBefore) };
  } catch {
    return t;
  }
}

// What of the rows matters for "is something changing" (last_seen moves with every ping: left out).
function fingerprintOf(rows: DataPlaneRow[], hash: string): string {
  return JSON.stringify([hash, ...rows.map((r) => [r.id, r.status, r.config_hash, r.sync_status]).sort()]);
}
