import type { KubeObject } from '../../../src/api/meta.js';
import type { KubeClient } from '../../../src/operator/kube/kube-client.js';
import { resourcePath, RESOURCES } from '../../../src/operator/kube/resources.js';
import { pollUntil } from '../poll.js';

/** A core/v1 Event as the suites check it. */
export type KubeEvent = KubeObject & {
  reason: string;
  type: string;
  message: string;
  count?: number;
  involvedObject: { kind: string; name: string };
};

/** Which Events to keep; every field left out matches all. */
export interface EventFilter {
  reason?: string;
  kind?: string;
  name?: string;
}

/** The Events of `namespace` that match `filter`, in the order the apiserver lists them. */
export async function listEvents(
  admin: KubeClient,
  namespace: string,
  filter: EventFilter = {},
): Promise<KubeEvent[]> {
  const list = await admin.request<{ items: KubeEvent[] }>({
    method: 'GET',
    path: resourcePath(RESOURCES.Event, { namespace }),
  });
  return list.items.filter(
    (e) =>
      (filter.reason === undefined || e.reason === filter.reason) &&
      (filter.kind === undefined || e.involvedObject.kind === filter.kind) &&
      (filter.name === undefined || e.involvedObject.name === filter.name),
  );
}

/** Polls until at least `atLeast` Events match `filter` (Events are written after the status). */
export async function waitForEvents(
  admin: KubeClient,
  namespace: string,
  filter: EventFilter,
  atLeast = 1,
): Promise<KubeEvent[]> {
  const what = `${atLeast} ${filter.reason ?? 'any'} Event(s)`;
  return pollUntil(what, async () => {
    const found = await listEvents(admin, namespace, filter);
    return found.length >= atLeast ? found : undefined;
  });
}
