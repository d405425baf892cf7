import type { KubeObject } from '../../api/meta.js';
import type { Logger } from '../../shared/logger.js';
import { applyObject, type ApplyOutcome } from '../kube/apply.js';
import type { EventRecorder } from '../kube/events.js';
import type { KubeClient } from '../kube/kube-client.js';
import type { Informer } from '../manager/informer.js';
import { objectKey } from '../manager/object-key.js';

/** What ensureObjects needs: the client, caches to skip GETs, and where Events go. */
export interface EnsureDeps {
  client: KubeClient;
  events: EventRecorder;
  /** Informer caches by kind; an object of a kind not here is read with a GET before its apply. */
  caches: Partial<Record<string, Informer>>;
}

/** The outcome of ensuring one object, with the object as the server now holds it. */
export interface Ensured {
  desired: KubeObject;
  outcome: ApplyOutcome;
  object: KubeObject;
}

/**
 * Applies each desired object (server-side apply; unchanged objects cost no write) and records an
 * Event on `owner` for every object created, or updated (drift repaired or spec changed).
 */
export async function ensureObjects(
  deps: EnsureDeps,
  owner: KubeObject,
  desired: KubeObject[],
  log: Logger,
  /** Objects just read (by `Kind/name`; null = known absent), which saves the GET before an apply. */
  known?: ReadonlyMap<string, KubeObject | null>,
): Promise<Ensured[]> {
  const out: Ensured[] = [];
  for (const obj of desired) {
    const cache = obj.kind ? deps.caches[obj.kind] : undefined;
    const fromKnown = known?.get(`${obj.kind}/${obj.metadata?.name}`);
    const current =
      fromKnown !== undefined
        ? fromKnown
        : cache?.hasSynced()
          ? (cache.get(objectKey(obj)) ?? null)
          : undefined;
    const { outcome, object } = await applyObject(deps.client, obj, { current });
    out.push({ desired: obj, outcome, object });
    if (outcome === 'unchanged') continue;
    const what = `${obj.kind} ${obj.metadata?.name}`;
    log.info({ object: what, outcome }, `object ${outcome}`);
    await deps.events.record(owner, {
      type: 'Normal',
      reason: outcome === 'created' ? 'Created' : 'Updated',
      message: `${outcome} ${what}`,
    });
  }
  return out;
}
