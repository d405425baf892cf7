import { randomBytes } from 'node:crypto';
import type { KubeObject } from '../../api/meta.js';
import type { Logger } from '../../shared/logger.js';
import { errorMessage } from '../../shared/errors.js';
import type { KubeClient } from './kube-client.js';
import { resourcePath, RESOURCES } from './resources.js';

/** One notable transition to report on an object (kubectl describe shows it). */
export interface EventRecord {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** Records core/v1 Events about objects. */
export interface EventRecorder {
  record(obj: KubeObject, ev: EventRecord): Promise<void>;
}

/**
 * Writes core/v1 Events with source component hybridgate-operator. A failed write is logged, never
 * thrown: an Event is a courtesy, and must not fail or retry the reconcile that produced it.
 */
export class KubeEventRecorder implements EventRecorder {
  private readonly client: KubeClient;
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(client: KubeClient, log: Logger, now: () => number = Date.now) {
    this.client = client;
    this.log = log;
    this.now = now;
  }

  async record(obj: KubeObject, ev: EventRecord): Promise<void> {
    const { name, namespace, uid, resourceVersion } = obj.metadata ?? {};
    if (!name || !namespace) return;
    const at = new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    try {
      await this.client.request({
        method: 'POST',
        path: resourcePath(RESOURCES.Event, { namespace }),
        body: {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name: `${name}.${randomBytes(8).toString('hex')}`, namespace },
          involvedObject: {
            apiVersion: obj.apiVersion,
            kind: obj.kind,
            name,
            namespace,
            uid,
            resourceVersion,
          },
          type: ev.type,
          reason: ev.reason,
          message: ev.message.slice(0, 1024),
          source: { component: 'hybridgate-operator' },
          reportingComponent: 'hybridgate-operator',
          firstTimestamp: at,
          lastTimestamp: at,
          count: 1,
        },
      });
    } catch (err) {
      this.log.warn(
        { err: errorMessage(err), reason: ev.reason, object: `${namespace}/${name}` },
        'event not recorded',
      );
    }
  }
}
